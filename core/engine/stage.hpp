// The stage: a private copy of a sidecar's inputs that the packager builds from, so
// the build sees exactly the bytes that were hashed. Each copy is hashed while it is
// written and compared with the key's hash; a file edited in between is caught, not
// built. Re-staging copies only files whose staged copy differs, so the packager's
// own incremental cache (which looks at paths and mtimes) keeps working; a copy that
// changed is dated into the next whole second, so a packager that compares mtimes in
// seconds cannot miss it.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "inputs/cache_key.hpp"
#include "inputs/stat_cache.hpp"

#include "util/error.hpp"

namespace freezer {


struct StageStats {
    std::size_t copied = 0;
    std::size_t kept = 0;
    std::size_t removed = 0;
};

// Makes `stage_dir` hold exactly `inputs` (relative to `root`). `stat_key_prefix`
// names the stage's entries in the stat cache.
StageStats sync_stage(const std::filesystem::path& root, const std::filesystem::path& stage_dir,
                      const std::vector<HashedInput>& inputs, StatCache& stat_cache,
                      const std::string& stat_key_prefix);

}  // namespace freezer
