// Market-size building blocks: pure functions of sampled inputs (no randomness, no I/O).
#pragma once

namespace tamcarlo::models {

/// Labor-substitution market: headcount [people] × salary [currency/person/year] × share [0–1] → currency/year.
[[nodiscard]] double labor_substitution(double headcount, double salary, double share) noexcept;

}  // namespace tamcarlo::models
