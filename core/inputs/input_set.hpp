// A sidecar's inputs: the files under its root that its include globs select and its
// exclude globs do not, plus files named explicitly (data, a backend's spec file).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "util/file_stat.hpp"
#include "inputs/glob.hpp"

namespace freezer {

struct InputFile {
    std::string path;  // relative to the sidecar root, '/'-separated
    FileStat stat;
};

struct InputScan {
    std::vector<InputFile> files;  // sorted by path, no duplicates
    std::vector<std::string> unmatched_includes;  // include patterns that matched nothing
    std::vector<std::string> missing;  // explicit paths that do not exist
    std::vector<std::string> warnings;  // links not followed, and why
};

// Walks `root` once. Excluded folders ("build/**") are not read at all.
//
// Links are followed, with three exceptions that hold however a folder is reached:
// a link to a folder that contains the root (`ln -s .. up` would walk the whole project,
// freezer's own output included, and grow every build) is not followed, with a warning;
// nor is one into a folder of `own_dirs` (freezer's .freezer/ and dist/: never inputs);
// and a link to a folder under the root that the excludes cover stays excluded.
InputScan scan_inputs(const std::filesystem::path& root, const GlobSet& include,
                      const GlobSet& exclude, const std::vector<std::string>& explicit_paths,
                      const std::vector<std::filesystem::path>& own_dirs = {});

}  // namespace freezer
