#include "engine/commit.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <utility>

#include <fmt/format.h>

#include "engine/install.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/names.hpp"

namespace freezer {
namespace fs = std::filesystem;

bool wants_tauri_copy(const BuildContext& ctx, const config::Sidecar& sc, const std::string& backend) {
    return ctx.project.tauri_dir && backend == sc.backend;
}

void install_tauri_copy(BuildContext& ctx, const config::Sidecar& sc, const fs::path& executable, SidecarResult& r,
                        bool fresh) {
    const fs::path target = ctx.layout.tauri_copy(sc.name, ctx.toolchain.target_triple());
    r.tauri_copy = target;
    // On a skip, a copy made after the installed binary (same size, executable) is that
    // binary's. After a build it is always written: two builds within one timestamp tick
    // of the file system would look alike by size and time.
    struct stat src, dst;
    if (!fresh && ::stat(executable.c_str(), &src) == 0 && ::stat(target.c_str(), &dst) == 0 &&
        src.st_size == dst.st_size &&
        std::pair(dst.st_mtim.tv_sec, dst.st_mtim.tv_nsec) >= std::pair(src.st_mtim.tv_sec, src.st_mtim.tv_nsec) &&
        (dst.st_mode & 0111))
        return;  // already there
    try {
        const Fd in = open_fd(executable, O_RDONLY);
        if (!in) throw std::system_error(errno, std::generic_category(), "cannot read " + executable.string());
        AtomicFile out(target, 0755);
        if (!for_each_chunk(in.get(), [&](const char* d, std::size_t n) { out.write({d, n}); }, 1 << 20))
            throw std::system_error(errno, std::generic_category(), "cannot read " + executable.string());
        out.commit();
    } catch (const std::system_error& e) {
        throw Error(Error::Kind::failed, fmt::format("cannot install the Tauri copy {}: {}", target.string(), e.what()));
    }
}

void commit_build(BuildContext& ctx, const Evaluation& ev, const Artifact& artifact, StoreInCache store,
                  SidecarResult& r) {
    const auto& sc = *ev.sidecar;
    ctx.reporter.phase(sc.name, ev.backend_name(), Phase::installing, "");
    const auto installed = install_output(artifact.dir, artifact.executable,
                                          ctx.layout.installed_dir(ev.output_name()));
    r.artifact = installed.dir / installed.executable;
    r.size = installed.size;
    if (wants_tauri_copy(ctx, sc, ev.backend_name())) install_tauri_copy(ctx, sc, r.artifact, r, /*fresh=*/true);

    BuildState state;
    state.key = ev.key.key;
    state.parts = ev.key;
    state.config = ev.config;
    state.toolchain = ev.toolchain;
    state.built_at = artifact.built_at;
    state.duration_ms = artifact.build_ms;
    state.output = {installed.dir, installed.executable, installed.size, list_output(installed.dir),
                    artifact.standalone};
    state.smoke = smoke_digest(sc.smoke);
    ctx.states.save(sc.name, ev.backend_name(), state, ev.inputs);
    if (store == StoreInCache::no) return;

    // Only now, with a passed smoke test and an installed output, does it become a hit.
    Manifest m;
    m.key = ev.key.key.hex();
    m.sidecar = sc.name;
    m.backend = ev.backend_name();
    m.created_at = artifact.built_at;
    m.executable = installed.executable;
    m.standalone = artifact.standalone;
    m.smoke = state.smoke;
    m.build_ms = artifact.build_ms;
    for (const auto& i : ev.inputs) m.inputs.push_back({escape_name(i.path), i.hash.hex()});
    m.config = ev.config;
    m.toolchain = ev.toolchain;
    m.contents = artifact.contents;
    ctx.cache.store(std::move(m), installed.dir);
}

}  // namespace freezer
