// An advisory lock on a file (flock), released when the object goes or the process
// dies, however it dies: a SIGKILLed freezer never leaves a lock behind.
#pragma once

#include <filesystem>
#include <string>

namespace freezer {

class FileLock {
public:
    enum class Mode { shared, exclusive };
    // Creates the file (and its folder) if needed. With wait = false, held() says
    // whether it was free.
    FileLock(const std::filesystem::path& file, Mode mode, bool wait = true);
    ~FileLock();
    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&&) = delete;
    FileLock(const FileLock&) = delete;

    bool held() const { return held_; }
    // Blocks until held (after a wait = false attempt failed).
    void wait();
    // The lock file's text: who holds it, for "waiting for ..." messages.
    std::string holder() const;
    void set_holder(const std::string& text) const;

private:
    int fd_ = -1;
    int op_ = 0;
    bool held_ = false;
    std::filesystem::path file_;
};

}  // namespace freezer
