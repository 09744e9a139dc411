// Path globs as freezer.yaml writes them: '/'-separated, relative to a sidecar's root.
// `*`, `?` and `[...]` match within one segment; a `**` segment matches any number of
// segments (including none). A pattern without `**` is anchored at the root:
// "pyproject.toml" matches only the root's pyproject.toml.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace freezer {

class Glob {
public:
    explicit Glob(std::string pattern);
    const std::string& pattern() const { return pattern_; }
    bool matches(std::string_view relative_path) const;
    bool matches(const std::vector<std::string_view>& segments) const;
    // True when every path below `relative_dir` matches (pattern "X/**" with X matching
    // the folder): the walker then skips the folder without reading it.
    bool covers_dir(std::string_view relative_dir) const;

    // One '/'-separated piece of a pattern, classified once so matching a path does
    // no parsing (this runs for every file of every no-change build).
    struct Segment {
        enum class Kind { literal, star_suffix, wildcard, globstar };
        Kind kind;
        std::string text;  // literal: the name; star_suffix: what follows '*'; wildcard: fnmatch pattern
    };

private:
    std::string pattern_;
    std::vector<Segment> segments_;
};

class GlobSet {
public:
    GlobSet() = default;
    explicit GlobSet(const std::vector<std::string>& patterns);
    // Index of the first pattern matching, or -1.
    int match(std::string_view relative_path) const;
    int match(const std::vector<std::string_view>& segments) const;
    bool covers_dir(std::string_view relative_dir) const;
    const std::vector<Glob>& globs() const { return globs_; }

private:
    std::vector<Glob> globs_;
};

// Splits a '/'-separated path into its non-empty segments (views into `path`).
void split_path(std::string_view path, std::vector<std::string_view>& out);

}  // namespace freezer
