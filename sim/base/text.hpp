// Text helpers: nearest-name suggestions, escapes and JSON literals (numbers for people: number_format.hpp).
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tamcarlo {

/// Levenshtein edit distance between a and b (insertions, deletions, substitutions).
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `name` if it is plausibly a typo (distance ≤ max(2, |name|/3)); else "".
[[nodiscard]] std::string nearest(std::string_view name, std::span<const std::string> candidates);

/// " (did you mean `x`?)" for the nearest candidate, or "" when none is close.
[[nodiscard]] std::string did_you_mean(std::string_view name, std::span<const std::string> candidates);

/// Candidates joined as "`a`, `b`, `c`".
[[nodiscard]] std::string quoted_list(std::span<const std::string> items);

/// Integer with thousands separators: 10000000 → "10,000,000".
[[nodiscard]] std::string thousands(unsigned long long n);

/// A size in bytes with a binary unit and 3 significant digits: 512 → "512 bytes", 81500000000 → "75.9 GiB".
[[nodiscard]] std::string byte_size(double bytes);

/// x as the shortest text that reads back to the same double ("%.17g" trimmed); JSON-safe: non-finite → "null".
[[nodiscard]] std::string json_number(double x);

/// s as a JSON string literal, with quotes and escapes.
[[nodiscard]] std::string json_string(std::string_view s);

/// `text` with every control character (C0 but newline and tab, DEL, C1) and every byte that is not valid UTF-8
/// written as an escape (`\u{1b}`, `\x{ff}`), so printing it cannot move the cursor or recolour a terminal.
[[nodiscard]] std::string terminal_safe(std::string_view text);

/// The offset of the first character `terminal_safe` would escape (newline and tab allowed only when `multiline`),
/// or npos when there is none.
[[nodiscard]] std::size_t first_control(std::string_view text, bool multiline);

/// `text` whole when it has at most `max` characters (UTF-8 code points), else its first ones and "…".
[[nodiscard]] std::string excerpt(const std::string& text, std::size_t max = 120);

}  // namespace tamcarlo
