#include "cache/manifest.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "inputs/hash.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/formats.hpp"
#include "util/names.hpp"
#include "util/sha256.hpp"

namespace freezer {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Both digests of a file in one read (what a store records).
struct FileDigests {
    std::string sha256, xxh3;
    std::uint64_t size = 0;
};
std::optional<FileDigests> digest_file(const fs::path& path) {
    const Fd fd = open_fd(path, O_RDONLY);
    if (!fd) return std::nullopt;
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    Sha256 sha;
    Xxh3Stream x;
    FileDigests d;
    const bool ok = for_each_chunk(fd.get(), [&](const char* data, std::size_t n) {
        sha.update(data, n);
        x.update(data, n);
        d.size += n;
    }, 1 << 20);
    if (!ok) return std::nullopt;
    d.xxh3 = x.digest().hex();
    d.sha256 = sha.hex();
    return d;
}

bool safe_relative(const std::string& p) {
    if (p.empty() || p.front() == '/') return false;
    for (const auto& part : fs::path(p))
        if (part == ".." || part == "." || part.empty()) return false;
    return true;
}

bool is_hex(const std::string& s, std::size_t n) {
    return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

}  // namespace

void to_json(json& j, const CachedFile& f) {
    // Names escaped (util/names.hpp): JSON holds UTF-8 only, a file name any bytes.
    if (!f.link.empty())
        j = {{"path", escape_name(f.path)}, {"link", escape_name(f.link)}};
    else
        j = {{"path", escape_name(f.path)}, {"sha256", f.sha256}, {"xxh3", f.xxh3}, {"size", f.size}, {"executable", f.executable}};
}

void from_json(const json& j, CachedFile& f) {
    auto name = [](const json& v) {
        auto s = unescape_name(v.get<std::string>());
        if (!s) throw json::type_error::create(302, "not an escaped name", &v);
        return std::move(*s);
    };
    f.path = name(j.at("path"));
    if (j.contains("link")) {
        f.link = name(j.at("link"));
        return;
    }
    j.at("sha256").get_to(f.sha256);
    j.at("xxh3").get_to(f.xxh3);
    j.at("size").get_to(f.size);
    j.at("executable").get_to(f.executable);
}

// Every field is required; "contents" (which came later) is read and written by hand, so
// that an entry stored before it still parses and nothing else becomes optional.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Manifest, key, sidecar, backend, created_at, executable, standalone, smoke, files,
                                   size, build_ms, inputs, config, toolchain)

std::string Manifest::to_text() const {
    json j = *this;
    if (!contents.is_null()) j["contents"] = contents;
    j["format"] = formats::kManifest;
    j["checksum"] = sha256_hex(j.dump());  // over everything else, as dumped (keys sorted)
    return j.dump(1) + "\n";
}

Manifest Manifest::parse(const std::string& text) {
    auto bad = [](const std::string& reason) -> Manifest { throw Error(Error::Kind::failed, reason); };
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    if (!j.contains("checksum") || !j["checksum"].is_string()) return bad("no checksum");
    const std::string checksum = j["checksum"];
    j.erase("checksum");
    if (sha256_hex(j.dump()) != checksum) return bad("checksum mismatch");
    if (j.value("format", 0) != formats::kManifest) return bad("unknown format");
    Manifest m;
    try {
        j.get_to(m);
        if (j.contains("contents")) m.contents = j["contents"];
    } catch (const json::exception& e) {
        return bad(std::string("malformed: ") + e.what());
    }
    // A manifest may come from a server: nothing in it may point outside the output.
    if (!safe_relative(m.executable)) return bad("unsafe executable path");
    for (const auto& f : m.files) {
        if (!safe_relative(f.path)) return bad("unsafe path " + f.path);
        if (!f.link.empty()) {
            const auto target = (fs::path(f.path).parent_path() / f.link).lexically_normal();
            if (f.link.front() == '/' || !safe_relative(target.generic_string()))
                return bad("link " + f.path + " points outside the output");
        } else if (!is_hex(f.sha256, 64) || !is_hex(f.xxh3, 32)) {
            return bad("bad digest for " + f.path);
        }
    }
    return m;
}

std::vector<CachedFile> describe_output(const fs::path& dir) {
    std::vector<CachedFile> out;
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
        const auto rel = it->path().lexically_relative(dir).generic_string();  // fs::relative would follow links
        if (it->is_symlink()) {
            out.push_back({rel, "", "", 0, false, fs::read_symlink(it->path()).string()});
            continue;
        }
        if (!it->is_regular_file()) continue;
        const auto d = digest_file(it->path());
        if (!d) throw std::runtime_error(fmt::format("cannot read {}: {}", it->path().string(), std::strerror(errno)));
        struct stat st {};
        ::stat(it->path().c_str(), &st);
        out.push_back({rel, d->sha256, d->xxh3, d->size, (st.st_mode & S_IXUSR) != 0, ""});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return out;
}

}  // namespace freezer
