#include "server/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace tidemark::server {

base::Result<std::unique_ptr<DataDirLock>> DataDirLock::Acquire(const std::string& dir) {
  const std::string prefix = "data directory " + dir + ": ";
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
    return base::Status::IoError(prefix + "exists but is not a directory");
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return base::Status::IoError(prefix + "cannot create it: " + ec.message());
  const std::string lock_path = dir + "/LOCK";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return base::Status::IoError(prefix + "cannot write " + lock_path + ": " +
                                 std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return base::Status::FailedPrecondition(prefix + "in use by another running tidemark");
    }
    return base::Status::IoError(prefix + "cannot lock " + lock_path + ": " + std::strerror(err));
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(dir, fd));
}

DataDirLock::~DataDirLock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace tidemark::server
