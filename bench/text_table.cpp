#include "text_table.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string_view>

namespace bench {

void TextTable::print(std::ostream& out) const {
  std::vector<std::size_t> widths(rows_.front().size(), 0);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c)
      widths[c] = std::max(widths[c], row[c].size());
  }
  for (std::size_t r = 0; r < rows_.size(); ++r) {
    printRow(out, rows_[r], widths);
    if (r == 0) {
      std::vector<std::string> rule;
      for (std::size_t c = 0; c < widths.size(); ++c) rule.push_back(std::string(widths[c], '-'));
      printRow(out, rule, widths);
    }
  }
}

void TextTable::printRow(std::ostream& out, const std::vector<std::string>& row,
                         const std::vector<std::size_t>& widths) {
  out << '|';
  for (std::size_t c = 0; c < widths.size(); ++c) {
    const std::string_view cell = c < row.size() ? std::string_view(row[c]) : std::string_view();
    const std::string pad(widths[c] - cell.size(), ' ');
    out << ' ';
    if (c == 0) {
      out << cell << pad;
    } else {
      out << pad << cell;
    }
    out << " |";
  }
  out << '\n';
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string grouped(double value) {
  const std::string digits = std::to_string(static_cast<std::uint64_t>(std::llround(std::max(value, 0.0))));
  std::string text;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) text.push_back(',');
    text.push_back(digits[i]);
  }
  return text;
}

}  // namespace bench
