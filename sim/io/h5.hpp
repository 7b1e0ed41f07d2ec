// HDF5 inside io/: RAII handles and small typed writers. Private to sim/io (no other part of
// tamcarlo sees an HDF5 id).
#pragma once
#include "sim/base/error.hpp"

#include <hdf5.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tamcarlo {

/// Owns one HDF5 id and closes it with the matching H5*close.
class H5Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Handle() = default;
  /// Takes ownership of `id`; throws RunError if id < 0, with `what` in the message.
  H5Handle(hid_t id, Closer close, const std::string& what);
  H5Handle(H5Handle&& o) noexcept;
  H5Handle& operator=(H5Handle&& o) noexcept;
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  ~H5Handle();
  [[nodiscard]] hid_t get() const noexcept { return id_; }
  /// Gives up ownership: the caller closes the id.
  [[nodiscard]] hid_t release() noexcept {
    const hid_t id = id_;
    id_ = H5I_INVALID_HID;
    return id;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

/// Small typed writers over HDF5 ids (attributes, datasets, groups); each throws RunError on failure.
namespace h5 {
/// The most strings a string-list attribute holds in HDF5's earliest object format (64 KiB of 16-byte references,
/// less room for its header).
inline constexpr std::size_t k_compact_strings = 3800;
/// Creates (truncating) the HDF5 file `path` with a k_seal_bytes user block left empty for seal_file;
/// `target` names it in the error (the directory must exist and be writable). With `dense_attributes`, in the 1.8
/// object format, which stores an attribute of more than k_compact_strings strings densely (the earliest refuses it).
[[nodiscard]] H5Handle create_file(const std::string& path, const std::string& target, bool dense_attributes = false);
/// The variable-length UTF-8 string type of every string tamcarlo writes.
[[nodiscard]] H5Handle string_type();
/// A new group `name` under `parent`.
[[nodiscard]] H5Handle group(hid_t parent, const std::string& name);
/// A UTF-8 string attribute.
void attr(hid_t obj, const std::string& name, const std::string& value);
/// A float64 attribute.
void attr(hid_t obj, const std::string& name, double value);
/// A uint64 attribute.
void attr(hid_t obj, const std::string& name, std::uint64_t value);
/// An int32 array attribute (e.g. the years of a timeline).
void attr(hid_t obj, const std::string& name, std::span<const int> values);
/// Writes a float64 array attribute.
void attr(hid_t obj, const std::string& name, std::span<const double> values);
/// Writes a variable-length UTF-8 string array attribute.
void attr(hid_t obj, const std::string& name, const std::vector<std::string>& values);
/// The netCDF-4 names of a dataset's axes, one per axis (see dims()).
using DimNames = std::vector<std::string>;
/// A float64 dataset of shape `dims` (row-major `x`, product of dims = x.size()) whose axes are the netCDF
/// dimensions `names` (dims()); chunked for large data.
void dataset(hid_t parent, const std::string& name, std::span<const double> x, std::vector<hsize_t> dims,
             const DimNames& names, bool chunked = false);
/// A 1-D int32 dataset (e.g. a timeline's years) on the dimension `dim` (its own name: a coordinate).
void dataset(hid_t parent, const std::string& name, std::span<const int> x, const std::string& dim);
/// Names the axes of the dataset `ds` as netCDF-4 dimensions (HDF5 dimension scales), which xarray and h5netcdf read:
/// axis i (of the first names.size()) gets the scale `names[i]` in the group `scales`: the dataset of that name there (a coordinate, made a scale
/// if it is not one yet), else a new dimension without coordinates (a scale of that axis's length with no storage).
void dims(hid_t scales, hid_t ds, const DimNames& names);
/// A float64 virtual dataset of shape n × C whose column c is the 1-D dataset at sources[c] (an absolute
/// path in the same file; "" leaves the column NaN): a view, no copy.
void virtual_columns(hid_t parent, const std::string& name, std::uint64_t n, const std::vector<std::string>& sources,
                     const DimNames& names);
/// A 1-D dataset of UTF-8 strings on the dimension `dim` ("" = its own name: the labels of a coordinate).
void strings(hid_t parent, const std::string& name, const std::vector<std::string>& values, const std::string& dim = "");
/// True when `obj` has an attribute `name`.
[[nodiscard]] bool has_attr(hid_t obj, const std::string& name);
/// The UTF-8 string attribute `name` of `obj`.
[[nodiscard]] std::string read_string_attr(hid_t obj, const std::string& name);
/// The integer attribute `name` of `obj`, as uint64.
[[nodiscard]] std::uint64_t read_uint_attr(hid_t obj, const std::string& name);
}  // namespace h5

/// RunError for a failed write to `target`: names the path and, when it is so, the full disk.
[[nodiscard]] RunError write_failure(const std::string& target, const std::string& what);
/// Throws RunError("HDF5: cannot <what>") when status < 0.
void h5_check(herr_t status, const std::string& what);
/// Turns off HDF5's printing of its error stack on this thread (errors are reported as RunError).
void h5_silence();

}  // namespace tamcarlo
