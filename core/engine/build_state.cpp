#include "engine/build_state.hpp"

#include <ctime>

#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include "util/atomic_file.hpp"

#include "util/formats.hpp"
#include "util/names.hpp"

namespace freezer {

std::string iso8601_utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
// A name stored escaped (util/names.hpp); one that is not is a damaged record.
std::string unescaped(const json& v) {
    auto name = unescape_name(v.get<std::string>());
    if (!name) throw json::type_error::create(302, "not an escaped name", &v);
    return std::move(*name);
}
}  // namespace

fs::path StateStore::file(const std::string& sidecar, const std::string& backend,
                          const char* ext) const {
    return dir_ / (sidecar + "@" + backend + ext);
}

std::optional<BuildState> StateStore::load(const std::string& sidecar,
                                           const std::string& backend) const {
    std::string text;
    if (!read_file(file(sidecar, backend, ".json"), text)) return std::nullopt;
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("format", 0) != formats::kState) return std::nullopt;
    try {
        BuildState s;
        auto hex = [](const json& v) { return Hash128::from_hex(v.get<std::string>()); };
        auto key = hex(j.at("key"));
        auto in = hex(j.at("parts").at("inputs"));
        auto cf = hex(j.at("parts").at("config"));
        auto tc = hex(j.at("parts").at("toolchain"));
        if (!key || !in || !cf || !tc) return std::nullopt;
        s.key = *key;
        s.parts = {*in, *cf, *tc, *key};
        s.config = j.at("config");
        s.toolchain = j.at("toolchain");
        s.built_at = j.value("built_at", "");
        s.duration_ms = j.value("duration_ms", 0LL);
        s.smoke = j.value("smoke", "");
        const auto& o = j.at("output");
        s.output.dir = unescaped(o.at("dir"));
        s.output.executable = o.at("executable").get<std::string>();
        s.output.size = o.at("size").get<std::uint64_t>();
        s.output.standalone = o.value("standalone", true);
        for (const auto& f : o.at("files"))
            s.output.files.push_back({unescaped(f.at(0)),
                                      {f.at(1).get<std::uint64_t>(), f.at(2).get<std::int64_t>(),
                                       0, f.at(3).get<std::uint64_t>()}});
        return s;
    } catch (const json::exception&) {
        return std::nullopt;  // a damaged record costs a rebuild, never a wrong skip
    }
}

void StateStore::save(const std::string& sidecar, const std::string& backend,
                      const BuildState& s, const std::vector<HashedInput>& inputs) const {
    std::string lines;
    lines.reserve(inputs.size() * 64);
    for (const auto& i : inputs) lines += i.hash.hex() + " " + escape_name(i.path) + "\n";  // one line per name, any bytes
    // The inputs list first: the record that makes a skip possible is written last.
    write_file_atomically(file(sidecar, backend, ".inputs"), lines);
    json files = json::array();
    for (const auto& f : s.output.files)
        files.push_back({escape_name(f.path), f.stat.size, f.stat.mtime_ns, f.stat.inode});
    const json j = {
        {"format", formats::kState},
        {"key", s.key.hex()},
        {"parts",
         {{"inputs", s.parts.inputs.hex()},
          {"config", s.parts.config.hex()},
          {"toolchain", s.parts.toolchain.hex()}}},
        {"config", s.config},
        {"toolchain", s.toolchain},
        {"built_at", s.built_at},
        {"duration_ms", s.duration_ms},
        {"smoke", s.smoke},
        {"output",
         {{"dir", escape_name(s.output.dir.string())},
          {"executable", s.output.executable},
          {"size", s.output.size},
          {"files", files},
          {"standalone", s.output.standalone}}},
    };
    write_file_atomically(file(sidecar, backend, ".json"), j.dump(1));
}

std::vector<HashedInput> StateStore::load_inputs(const std::string& sidecar,
                                                 const std::string& backend) const {
    std::vector<HashedInput> out;
    std::string text;
    if (!read_file(file(sidecar, backend, ".inputs"), text)) return out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() < 34 || line[32] != ' ') continue;
        auto h = Hash128::from_hex(std::string_view(line).substr(0, 32));
        auto path = unescape_name(std::string_view(line).substr(33));
        if (h && path) out.push_back({std::move(*path), *h});
    }
    return out;
}

// The listing of another build becomes the previous one; a listing of the same key (a
// retry after a failed smoke test, a restore after a failed one) replaces the current
// in place, so "previous" stays the build before.
void StateStore::retire_contents(const std::string& sidecar, const std::string& backend, const std::string& key) const {
    const auto current = load_contents(sidecar, backend);
    if (!current || current->value("key", "") == key) return;
    std::error_code ec;
    fs::rename(file(sidecar, backend, ".contents.json"), file(sidecar, backend, ".contents.prev.json"), ec);
}

void StateStore::save_contents(const std::string& sidecar, const std::string& backend, const json& contents) const {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    retire_contents(sidecar, backend, contents.value("key", ""));
    write_file_atomically(file(sidecar, backend, ".contents.json"), contents.dump());
}

std::optional<json> StateStore::load_contents(const std::string& sidecar, const std::string& backend,
                                              bool previous) const {
    std::string text;
    if (!read_file(file(sidecar, backend, previous ? ".contents.prev.json" : ".contents.json"), text))
        return std::nullopt;
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
}

void StateStore::remove(const std::string& sidecar, const std::string& backend) const {
    std::error_code ec;
    fs::remove(file(sidecar, backend, ".json"), ec);
    fs::remove(file(sidecar, backend, ".inputs"), ec);
    remove_imports(sidecar, backend);
}

std::optional<json> StateStore::load_imports(const std::string& sidecar, const std::string& backend) const {
    std::string text;
    if (!read_file(file(sidecar, backend, ".imports.json"), text)) return std::nullopt;
    auto j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || j.value("format", 0) != formats::kImportRecord || !j.contains("files") ||
        !j["files"].is_object())
        return std::nullopt;
    return j;
}

void StateStore::save_imports(const std::string& sidecar, const std::string& backend, const json& record) const {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    write_file_atomically(file(sidecar, backend, ".imports.json"), record.dump());
}

void StateStore::remove_imports(const std::string& sidecar, const std::string& backend) const {
    std::error_code ec;
    fs::remove(file(sidecar, backend, ".imports.json"), ec);
}

std::vector<OutputFile> list_output(const fs::path& dir) {
    std::vector<OutputFile> out;
    std::error_code ec;
    struct stat st;
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return out;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (::lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
        auto fst = FileStat::from(st);
        fst.ctime_ns = 0;  // ctime changes on rename/link; content is what matters here
        out.push_back({it->path().lexically_relative(dir).generic_string(), fst});
    }
    std::sort(out.begin(), out.end(),
              [](const OutputFile& a, const OutputFile& b) { return a.path < b.path; });
    return out;
}

bool output_intact(const OutputRecord& record) {
    const auto now = list_output(record.dir);
    if (now.size() != record.files.size() || now.empty()) return false;
    for (std::size_t i = 0; i < now.size(); ++i)
        if (now[i].path != record.files[i].path || !(now[i].stat == record.files[i].stat))
            return false;
    return true;
}

}  // namespace freezer
