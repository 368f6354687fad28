// A FileEnv for tests: passes every operation to the POSIX env, but fails the chosen step with
// a chosen errno (ENOSPC, EIO), or "crashes" there: from that step on every operation fails,
// including the cleanup, so the file system is left exactly as a killed process would leave it
// (minus the page cache, which tests cannot drop).
#pragma once

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "common/file_env.h"

namespace lookalike::testing {

enum class FileStep { kNone, kCreate, kAppend, kWriteAt, kSync, kClose, kRename, kSyncDir };

inline const char* FileStepName(FileStep step) {
  switch (step) {
    case FileStep::kNone:
      return "none";
    case FileStep::kCreate:
      return "create";
    case FileStep::kAppend:
      return "append";
    case FileStep::kWriteAt:
      return "write_at";
    case FileStep::kSync:
      return "sync";
    case FileStep::kClose:
      return "close";
    case FileStep::kRename:
      return "rename";
    case FileStep::kSyncDir:
      return "sync_dir";
  }
  return "?";
}

class FaultFileEnv : public FileEnv {
 public:
  /// Fail `step` with `err`; `crash` also fails everything after it (no cleanup happens).
  /// kAppend fails once `append_budget` bytes have been appended (0: the first append).
  void FailAt(FileStep step, int err = EIO, bool crash = false, uint64_t append_budget = 0) {
    step_ = step;
    err_ = err;
    crash_ = crash;
    append_budget_ = append_budget;
    crashed_ = false;
  }

  int dir_syncs() const { return dir_syncs_; }
  int renames() const { return renames_; }
  const std::vector<std::string>& created() const { return created_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                        uint32_t mode) override {
    LOOKALIKE_RETURN_IF_ERROR(Check(FileStep::kCreate, path));
    created_.push_back(path);
    LOOKALIKE_ASSIGN_OR_RETURN(auto file, base().NewWritableFile(path, mode));
    return std::unique_ptr<WritableFile>(std::make_unique<File>(this, std::move(file), path));
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    LOOKALIKE_RETURN_IF_ERROR(Check(FileStep::kRename, to));
    ++renames_;
    return base().RenameFile(from, to);
  }
  Status RemoveFile(const std::string& path) override {
    if (crashed_) return FileError("crashed before removing", path, EIO);
    return base().RemoveFile(path);
  }
  Status SyncDir(const std::string& dir) override {
    LOOKALIKE_RETURN_IF_ERROR(Check(FileStep::kSyncDir, dir));
    ++dir_syncs_;
    return base().SyncDir(dir);
  }
  Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes) override {
    return base().ReadFile(path, max_bytes);
  }

 private:
  class File : public WritableFile {
   public:
    File(FaultFileEnv* env, std::unique_ptr<WritableFile> base, std::string path)
        : env_(env), base_(std::move(base)), path_(std::move(path)) {}
    Status Append(const void* data, size_t n) override {
      if (env_->step_ == FileStep::kAppend && !env_->crashed_ &&
          base_->size() + n > env_->append_budget_) {
        // Write what fits, as a full disk does, then fail.
        const uint64_t fits =
            env_->append_budget_ > base_->size() ? env_->append_budget_ - base_->size() : 0;
        if (fits > 0) (void)base_->Append(data, fits);
        return env_->Check(FileStep::kAppend, path_);
      }
      LOOKALIKE_RETURN_IF_ERROR(env_->Check(FileStep::kNone, path_));
      return base_->Append(data, n);
    }
    Status WriteAt(uint64_t offset, const void* data, size_t n) override {
      LOOKALIKE_RETURN_IF_ERROR(env_->Check(FileStep::kWriteAt, path_));
      return base_->WriteAt(offset, data, n);
    }
    Status Sync() override {
      LOOKALIKE_RETURN_IF_ERROR(env_->Check(FileStep::kSync, path_));
      return base_->Sync();
    }
    Status Close() override {
      LOOKALIKE_RETURN_IF_ERROR(env_->Check(FileStep::kClose, path_));
      return base_->Close();
    }
    uint64_t size() const override { return base_->size(); }

   private:
    FaultFileEnv* env_;
    std::unique_ptr<WritableFile> base_;
    std::string path_;
  };

  static FileEnv& base() { return FileEnv::Default(); }

  Status Check(FileStep step, const std::string& path) {
    if (crashed_) return FileError("crashed before", path, err_);
    if (step == FileStep::kNone || step != step_) return Status::OK();
    if (crash_) crashed_ = true;
    return FileError(std::string("injected failure at ") + FileStepName(step) + " of", path, err_);
  }

  FileStep step_ = FileStep::kNone;
  int err_ = EIO;
  bool crash_ = false;
  bool crashed_ = false;
  uint64_t append_budget_ = 0;
  int dir_syncs_ = 0;
  int renames_ = 0;
  std::vector<std::string> created_;
};

}  // namespace lookalike::testing
