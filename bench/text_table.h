// Plain-text output helpers of the result tables (bench_table.cpp): a Markdown table padded
// to its widest cells, and number formatting. Plain values; no thread rules.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace bench {

// A Markdown table whose columns are padded to their widest cell: the first column (names)
// left-aligned, the others (figures) right-aligned.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const noexcept { return rows_.size() == 1; }
  void print(std::ostream& out) const;

 private:
  static void printRow(std::ostream& out, const std::vector<std::string>& row,
                       const std::vector<std::size_t>& widths);

  std::vector<std::vector<std::string>> rows_;
};

// `value` with `decimals` digits after the point: "1.250".
std::string fixed(double value, int decimals);

// `value` rounded to a whole number (negative: 0), thousands separated: "1,234,567".
std::string grouped(double value);

}  // namespace bench
