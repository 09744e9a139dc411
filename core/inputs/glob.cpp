#include "inputs/glob.hpp"

#include <fnmatch.h>

namespace freezer {

namespace {

std::vector<std::string_view> split(std::string_view path) {
    std::vector<std::string_view> out;
    split_path(path, out);
    return out;
}

bool segment_matches(const Glob::Segment& seg, std::string_view name) {
    switch (seg.kind) {
        case Glob::Segment::Kind::literal: return seg.text == name;
        case Glob::Segment::Kind::star_suffix:
            return name.size() >= seg.text.size() &&
                   name.compare(name.size() - seg.text.size(), seg.text.size(), seg.text) == 0;
        case Glob::Segment::Kind::wildcard: {
            const std::string n(name);
            return ::fnmatch(seg.text.c_str(), n.c_str(), 0) == 0;
        }
        case Glob::Segment::Kind::globstar: return true;
    }
    return false;
}

}  // namespace

void split_path(std::string_view path, std::vector<std::string_view>& out) {
    out.clear();
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        const auto end = slash == std::string_view::npos ? path.size() : slash;
        if (end > start) out.push_back(path.substr(start, end - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
}

namespace {

// Matches pattern segments [pi..] against path segments [si..]. With `prefix`, it
// succeeds as soon as the path is used up (the rest of the pattern may match deeper).
bool match_from(const std::vector<Glob::Segment>& pat, std::size_t pi,
                const std::vector<std::string_view>& path, std::size_t si) {
    while (pi < pat.size()) {
        if (pat[pi].kind == Glob::Segment::Kind::globstar) {
            if (pi + 1 == pat.size()) return true;
            // "**/<last>": only the path's last segment can match <last>.
            if (pi + 2 == pat.size())
                return si < path.size() && segment_matches(pat[pi + 1], path.back());
            for (std::size_t k = si; k <= path.size(); ++k)
                if (match_from(pat, pi + 1, path, k)) return true;
            return false;
        }
        if (si == path.size() || !segment_matches(pat[pi], path[si])) return false;
        ++pi;
        ++si;
    }
    return si == path.size();
}

}  // namespace

Glob::Glob(std::string pattern) : pattern_(std::move(pattern)) {
    for (auto piece : split(pattern_)) {
        const std::string text(piece);
        const auto wild = text.find_first_of("*?[");
        if (text == "**")
            segments_.push_back({Segment::Kind::globstar, text});
        else if (wild == std::string::npos)
            segments_.push_back({Segment::Kind::literal, text});
        else if (wild == 0 && text.size() > 1 && text.find_first_of("*?[", 1) == std::string::npos)
            segments_.push_back({Segment::Kind::star_suffix, text.substr(1)});
        else
            segments_.push_back({Segment::Kind::wildcard, text});
    }
}

bool Glob::matches(std::string_view relative_path) const {
    return match_from(segments_, 0, split(relative_path), 0);
}

bool Glob::matches(const std::vector<std::string_view>& segments) const {
    return match_from(segments_, 0, segments, 0);
}

bool Glob::covers_dir(std::string_view relative_dir) const {
    if (segments_.size() < 2 || segments_.back().kind != Segment::Kind::globstar) return false;
    const std::vector<Segment> prefix(segments_.begin(), segments_.end() - 1);
    return match_from(prefix, 0, split(relative_dir), 0);
}

GlobSet::GlobSet(const std::vector<std::string>& patterns) {
    globs_.reserve(patterns.size());
    for (const auto& p : patterns) globs_.emplace_back(p);
}

int GlobSet::match(std::string_view relative_path) const { return match(split(relative_path)); }

int GlobSet::match(const std::vector<std::string_view>& segments) const {
    for (std::size_t i = 0; i < globs_.size(); ++i)
        if (globs_[i].matches(segments)) return static_cast<int>(i);
    return -1;
}

bool GlobSet::covers_dir(std::string_view relative_dir) const {
    for (const auto& g : globs_)
        if (g.covers_dir(relative_dir)) return true;
    return false;
}

}  // namespace freezer
