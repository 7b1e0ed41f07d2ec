#include "models/market.hpp"

namespace tamcarlo::models {

double labor_substitution(double headcount, double salary, double share) noexcept { return headcount * salary * share; }

}  // namespace tamcarlo::models
