// Helpers shared by the tests: scratch folders and small files.
#pragma once

#include <filesystem>
#include <string>

namespace freezer::test {

// A fresh folder under $TMPDIR, removed when the object goes.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

private:
    std::filesystem::path path_;
};

void write(const std::filesystem::path& file, const std::string& content);
std::string read(const std::filesystem::path& file);

// A loopback port free now (bound, then closed): nothing listens on it until a test
// starts a server there.
int unused_port();

}  // namespace freezer::test
