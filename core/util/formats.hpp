// The version of every format freezer writes, in one place, each with its history.
// Bump a version when a reader of the old version would misread the new one; keep the
// line of history. A file of another version is never misread: state, probes and the
// stat cache are dropped (the price is a rebuild or a re-hash), a cache entry is a miss.
#pragma once

namespace freezer::formats {

// .freezer/state/<sidecar>@<backend>.json and .inputs (engine/build_state.hpp).
//   1: first version (key parts, config, toolchain, output files by stat, smoke digest)
inline constexpr int kState = 1;

// .freezer/state/<sidecar>@<backend>.imports.json, the fast path's import record
// (engine/fast_path.hpp).
//   1: first version (per Python input, its last versions' imports by content hash)
inline constexpr int kImportRecord = 1;

// .freezer/state/statcache[-stage] (inputs/stat_cache.hpp): the version is the last
// character of its magic, "FRZSTAT<n>".
//   1: first version (scan start, entries with stat data and XXH3-128, XXH3-64 checksum)
inline constexpr char kStatCacheMagic[] = "FRZSTAT1";

// .freezer/state/probes.json (plugins/toolchain.hpp).
//   1: first version (facts per probe id, fingerprint of paths by stat)
//   2: the interpreter's facts hold its sys.path folders (the installed distributions)
//      and those outside its installation (editable and .pth-added sources)
//   3: a .pth-added folder holding *.dist-info counts as site-packages, not as sources
inline constexpr int kProbes = 3;

// The cache key's domain string (inputs/cache_key.hpp): a new one invalidates every key.
//   1: inputs, config, toolchain (with the plan digest)
inline constexpr char kKeyDomain[] = "freezer-key/1";

// <cache.dir>/artifacts/ac/<key>.json, local and remote (cache/artifact_cache.hpp).
//   1: first version (files with sha256 + xxh3, inputs, config, toolchain, checksum)
inline constexpr int kManifest = 1;

// A manifest's name on a remote cache: ac/sha256("<domain>:" + key) (cache/remote_cache.hpp).
//   1: first version
inline constexpr char kRemoteAcDomain[] = "freezer-ac-1:";

// The JSON that --json prints (build, smoke, check, explain, cache, backends).
//   1: first version; build_path and fast_path added to build and explain (more keys
//      are not a new version)
inline constexpr int kReport = 1;

// `freezer compare --json` (config/compare.schema.json).
//   1: first version; results[].composition added later (optional: older reports lack it)
inline constexpr int kCompareReport = 1;

// freezer.yaml's `version:` (config/freezer.schema.json); `freezer init` writes it.
//   1: first version
inline constexpr int kConfig = 1;

}  // namespace freezer::formats
