// The manifest of one cached build, as it is stored locally (ac/<key>.json) and on a
// remote cache: the files of the output with their digests, and what the build was
// made from. Format version formats::kManifest (util/formats.hpp):
//
//   {"format": 1, "key": hex, "sidecar", "backend", "created_at", "executable",
//    "standalone", "smoke", "size", "build_ms",
//    "files": [{"path", "sha256", "xxh3", "size", "executable"} | {"path", "link"}],
//    "inputs": [[path, xxh3], ...], "config": {...}, "toolchain": {...}, "contents": {...},
//    "checksum": sha256 of the rest, as dumped with sorted keys}
//
// A manifest may come from a server, so parse() trusts nothing in it: a bad checksum,
// a path or link that leaves the output folder, or a malformed digest is an Error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace freezer {

struct CachedFile {
    std::string path;     // relative to the output folder, '/'-separated
    std::string sha256;   // empty for a symbolic link
    std::string xxh3;     // XXH3-128 hex: the fast local integrity check
    std::uint64_t size = 0;
    bool executable = false;
    std::string link;     // target, for a symbolic link
};

struct Manifest {
    std::string key;        // freezer's cache key, hex
    std::string sidecar;
    std::string backend;
    std::string created_at;
    std::string executable;  // relative to the output folder
    bool standalone = true;
    std::string smoke;       // digest of the smoke test the output passed
    std::vector<CachedFile> files;
    std::uint64_t size = 0;  // all files
    long long build_ms = 0;
    nlohmann::json inputs = nlohmann::json::array();  // [[path, xxh3], ...]
    nlohmann::json config = nlohmann::json::object();
    nlohmann::json toolchain = nlohmann::json::object();
    // What the artifact holds (engine/bundle.hpp), for audit and trace after a restore;
    // null in entries stored before it was recorded.
    nlohmann::json contents;

    // Serialised with a "checksum" over everything else; parse() rejects a manifest
    // whose checksum does not match (a flipped byte that still parses), throwing an
    // Error that says why.
    std::string to_text() const;
    static Manifest parse(const std::string& text);
};

// Every file of an output folder, hashed; throws std::runtime_error when one cannot be read.
std::vector<CachedFile> describe_output(const std::filesystem::path& dir);

}  // namespace freezer
