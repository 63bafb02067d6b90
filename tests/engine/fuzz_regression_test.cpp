// Replays every file of tests/fuzz/corpus/<target>/ through the checks the libFuzzer target of
// that name runs (tests/fuzz/fuzz_checks.h), so the seeds and every minimised finding are
// regression tests in every preset (ASan included) without clang or libFuzzer.
// One test per file: a bad file names itself and the invariant it breaks.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "../fuzz/fuzz_checks.h"

namespace tofu::fuzz {
namespace {

namespace fs = std::filesystem;

using Check = void (*)(const std::uint8_t*, std::size_t);

// Corpus directory name -> the check its fuzz target runs.
const std::map<std::string, Check>& checks() {
  static const std::map<std::string, Check> kChecks{
      {"frame_decoder", &checkFrameDecoder},
      {"text_headers", &checkTextHeaders},
      {"address", &checkAddress},
  };
  return kChecks;
}

// Found from this source file, since the test binary may run from any build directory.
fs::path corpusRoot() { return TOFU_FUZZ_CORPUS_DIR; }

struct CorpusFile {
  std::string target;
  fs::path path;
};

std::vector<CorpusFile> corpusFiles() {
  std::vector<CorpusFile> files;
  std::error_code error;
  for (const fs::directory_entry& dir : fs::directory_iterator(corpusRoot(), error)) {
    if (!dir.is_directory()) continue;
    for (const fs::directory_entry& file : fs::directory_iterator(dir.path())) {
      if (file.is_regular_file()) files.push_back({dir.path().filename().string(), file.path()});
    }
  }
  std::sort(files.begin(), files.end(),
            [](const CorpusFile& a, const CorpusFile& b) { return a.path < b.path; });
  return files;
}

std::vector<std::uint8_t> readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A violated invariant becomes an exception, then a test failure, instead of an abort.
struct InvariantViolated : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void throwViolation(const char* what, const char* file, int line) {
  throw InvariantViolated(std::string(file) + ":" + std::to_string(line) + ": " + what);
}

// One corpus file: a violated invariant becomes an ordinary failure that names the file.
class CorpusFileTest : public ::testing::Test {
 public:
  explicit CorpusFileTest(CorpusFile file) : file_(std::move(file)) {}

 protected:
  void SetUp() override { failureHandler() = &throwViolation; }
  void TearDown() override { failureHandler() = nullptr; }

  void TestBody() override {
    const auto check = checks().find(file_.target);
    ASSERT_NE(check, checks().end()) << "corpus directory without a fuzz target: " << file_.target;
    const std::vector<std::uint8_t> bytes = readFile(file_.path);
    try {
      check->second(bytes.data(), bytes.size());
    } catch (const InvariantViolated& violation) {
      ADD_FAILURE() << file_.path.string() << ": invariant violated at " << violation.what();
    }
  }

 private:
  CorpusFile file_;
};

// "frame_decoder/v1_hello_request.bin" -> "frame_decoder_v1_hello_request_bin".
std::string testNameOf(const CorpusFile& file) {
  std::string name = file.target + "_" + file.path.filename().string();
  std::replace_if(
      name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) == 0; }, '_');
  return name;
}

// Registered as plain tests named after the files (not value-parameterised), so CTest lists
// them as FuzzCorpus.<target>_<file>. Runs during static initialisation, like TEST().
const bool kCorpusRegistered = [] {
  for (const CorpusFile& file : corpusFiles()) {
    ::testing::RegisterTest("FuzzCorpus", testNameOf(file).c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [file]() -> CorpusFileTest* { return new CorpusFileTest(file); });
  }
  return true;
}();

// Guards against the corpus tests silently becoming none (moved corpus, wrong TOFU_FUZZ_CORPUS_DIR).
TEST(FuzzCorpusLayout, EveryTargetHasSeeds) {
  ASSERT_TRUE(fs::is_directory(corpusRoot())) << corpusRoot();
  for (const auto& [target, check] : checks()) {
    const fs::path dir = corpusRoot() / target;
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    EXPECT_GE(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 10) << dir;
  }
  for (const fs::directory_entry& dir : fs::directory_iterator(corpusRoot())) {
    EXPECT_TRUE(checks().contains(dir.path().filename().string())) << "no fuzz target for " << dir.path();
  }
}

}  // namespace
}  // namespace tofu::fuzz
