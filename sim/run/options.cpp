#include "sim/run/options.hpp"

#include "sim/base/error.hpp"

namespace tamcarlo {

bool RunOptions::writes_result() const {
  return !what.output.empty() && !what.point_only && !how.shard && !(how.ranks && how.ranks->rank() != 0);
}

void RunOptions::check_cancel() const {
  if (on.cancel && on.cancel->load()) throw Interrupted();
}

}  // namespace tamcarlo
