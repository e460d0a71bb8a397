// The only file that knows Node: thin N-API glue over the C++ core. Calls are coarse (one call,
// a whole batch) because a JS->C++ crossing costs more than a 256-bit operation.
#include <napi.h>
#include <sys/file.h>
#include <cerrno>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "apqn_conflicts.h"
#include "boundary.h"
#include "mask_core.h"
#include "sysfs_io.h"
#include "vfio.h"

namespace {

// ---- typed errors: TypeScript registers a factory at load time (setErrorFactory), so that an
// error raised here is the same ZmdevError subclass TypeScript itself would raise.

struct AddonData {
  Napi::FunctionReference make_error;
};

AddonData* Data(Napi::Env env) {
  AddonData* d = env.GetInstanceData<AddonData>();
  if (d == nullptr) {
    d = new AddonData();
    env.SetInstanceData(d);  // deleted by node-addon-api when the environment goes away
  }
  return d;
}

// setErrorFactory((kind, code, message, detail) => Error)
Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "factory must be a function");
  Data(info.Env())->make_error = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// Throws the factory's error for (kind, code, message, detail); without a factory (the addon
// loaded by hand), a plain Error that still carries the code.
[[noreturn]] void ThrowTyped(Napi::Env env, const char* kind, const char* code, const char* message, napi_value detail) {
  AddonData* d = Data(env);
  if (!d->make_error.IsEmpty()) {
    Napi::Value e = d->make_error.Call({Napi::String::New(env, kind), Napi::String::New(env, code),
                                         Napi::String::New(env, message), detail});
    throw Napi::Error(env, e);
  }
  Napi::Error e = Napi::Error::New(env, std::string(code) + ": " + message);
  e.Set("code", Napi::String::New(env, code));
  throw e;
}

// Every export runs inside this: a C++ exception that is not already a JS error (bad_alloc from
// a huge result, say) becomes a typed error instead of std::terminate taking the process down.
// The export's name travels as the function's data.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;  // argument TypeError/RangeError, a failed napi call, a typed error from ThrowTyped
  } catch (...) {
    zmdev::boundary::Caught c = zmdev::boundary::describe_current_exception();
    Napi::Env env = info.Env();
    ThrowTyped(env, "exception", c.code, c.message, Napi::String::New(env, static_cast<const char*>(info.Data())));
  }
}

struct Bytes {
  uint8_t* data;
  size_t length;
};

// One napi_get_typedarray_info per argument: type, length and data in a single query.
Bytes GetBytes(const Napi::CallbackInfo& info, size_t index, const char* name, size_t exact = SIZE_MAX) {
  napi_env env = info.Env();
  napi_value v = info[index];
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (!is_ta) throw Napi::TypeError::New(env, std::string(name) + " must be a Uint8Array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr);
  if (type != napi_uint8_array) throw Napi::TypeError::New(env, std::string(name) + " must be a Uint8Array");
  if (exact != SIZE_MAX && length != exact)
    throw Napi::RangeError::New(env, std::string(name) + " must be " + std::to_string(exact) + " bytes");
  return Bytes{static_cast<uint8_t*>(data), length};
}

// undefined on success, [errno, position, reason] on refusal: TypeScript builds the error.
Napi::Value StatusValue(Napi::Env env, const zmdev::ParseStatus& st) {
  if (st.err == 0) return env.Undefined();
  Napi::Array a = Napi::Array::New(env, 3);
  a.Set(0u, Napi::Number::New(env, st.err));
  a.Set(1u, Napi::Number::New(env, static_cast<double>(st.pos)));
  a.Set(2u, Napi::String::New(env, st.reason));
  return a;
}

// parseKernelMask(input, current32, out32)
Napi::Value ParseKernelMask(const Napi::CallbackInfo& info) {
  Bytes in = GetBytes(info, 0, "input");
  Bytes cur = GetBytes(info, 1, "current", zmdev::kMaskBytes);
  Bytes out = GetBytes(info, 2, "out", zmdev::kMaskBytes);
  return StatusValue(info.Env(), zmdev::parse_kernel_mask(in.data, in.length, cur.data, out.data));
}

// parseChzdevMask(input, current32, out32)
Napi::Value ParseChzdevMask(const Napi::CallbackInfo& info) {
  Bytes in = GetBytes(info, 0, "input");
  Bytes cur = GetBytes(info, 1, "current", zmdev::kMaskBytes);
  Bytes out = GetBytes(info, 2, "out", zmdev::kMaskBytes);
  return StatusValue(info.Env(), zmdev::parse_chzdev_mask(in.data, in.length, cur.data, out.data));
}

// parseApConfig(input, out96): apm, aqm, adm back to back
Napi::Value ParseApConfig(const Napi::CallbackInfo& info) {
  Bytes in = GetBytes(info, 0, "input");
  Bytes out = GetBytes(info, 1, "out", 3 * zmdev::kMaskBytes);
  return StatusValue(info.Env(), zmdev::parse_ap_config(in.data, in.length, out.data, out.data + 32, out.data + 64));
}

// parseKstrtoul(input) -> bigint | [errno, position, reason]
Napi::Value ParseKstrtoul(const Napi::CallbackInfo& info) {
  Bytes in = GetBytes(info, 0, "input");
  uint64_t v = 0;
  zmdev::ParseStatus st = zmdev::parse_kstrtoul(in.data, in.length, &v);
  if (st.err) return StatusValue(info.Env(), st);
  return Napi::BigInt::New(info.Env(), v);
}

// parseKernelMasks(joined, offsets[n+1] as Uint8Array view of Uint32, current32, out n*32,
// errnos n as Uint8Array view of Int32) -> number refused. Relative inputs start from `current`.
Napi::Value ParseKernelMasks(const Napi::CallbackInfo& info) {
  Bytes joined = GetBytes(info, 0, "joined");
  Bytes offs = GetBytes(info, 1, "offsets");
  Bytes cur = GetBytes(info, 2, "current", zmdev::kMaskBytes);
  Bytes out = GetBytes(info, 3, "out");
  Bytes errs = GetBytes(info, 4, "errnos");
  size_t n = offs.length / 4;
  if (n == 0 || out.length != (n - 1) * 32 || errs.length != (n - 1) * 4)
    throw Napi::RangeError::New(info.Env(), "offsets, out and errnos disagree on the number of inputs");
  n -= 1;
  const uint32_t* o = reinterpret_cast<const uint32_t*>(offs.data);
  int32_t* e = reinterpret_cast<int32_t*>(errs.data);
  uint32_t refused = 0;
  for (size_t i = 0; i < n; ++i) {
    if (o[i] > o[i + 1] || o[i + 1] > joined.length) throw Napi::RangeError::New(info.Env(), "offsets out of range");
    zmdev::ParseStatus st = zmdev::parse_kernel_mask(joined.data + o[i], o[i + 1] - o[i], cur.data, out.data + i * 32);
    e[i] = st.err;
    if (st.err) {
      std::memset(out.data + i * 32, 0, 32);
      ++refused;
    }
  }
  return Napi::Number::New(info.Env(), refused);
}

// formatMasks(table n*32) -> one string of n*66 characters
Napi::Value FormatMasks(const Napi::CallbackInfo& info) {
  Bytes t = GetBytes(info, 0, "table");
  if (t.length % 32) throw Napi::RangeError::New(info.Env(), "table length must be a multiple of 32");
  size_t n = t.length / 32;
  std::string s(n * 66, '\0');
  for (size_t i = 0; i < n; ++i) zmdev::format_mask(t.data + i * 32, &s[i * 66]);
  return Napi::String::New(info.Env(), s);
}

// reduceMasks(table n*32, out32, op) with op 0 = OR, 1 = AND
Napi::Value ReduceMasks(const Napi::CallbackInfo& info) {
  Bytes t = GetBytes(info, 0, "table");
  Bytes out = GetBytes(info, 1, "out", 32);
  uint32_t op = info[2].As<Napi::Number>().Uint32Value();
  if (t.length % 32) throw Napi::RangeError::New(info.Env(), "table length must be a multiple of 32");
  uint64_t acc[4];
  std::memset(acc, op == 1 ? 0xff : 0, sizeof acc);
  size_t n = t.length / 32;
  for (size_t i = 0; i < n; ++i) {
    uint64_t w[4];
    std::memcpy(w, t.data + i * 32, 32);
    for (int k = 0; k < 4; ++k) acc[k] = op == 1 ? (acc[k] & w[k]) : (acc[k] | w[k]);
  }
  std::memcpy(out.data, acc, 32);
  return info.Env().Undefined();
}

// popcountMasks(table n*32, counts as Uint8Array view of Uint16 n) -> total
Napi::Value PopcountMasks(const Napi::CallbackInfo& info) {
  Bytes t = GetBytes(info, 0, "table");
  Bytes counts = GetBytes(info, 1, "counts");
  size_t n = t.length / 32;
  if (t.length % 32 || counts.length != n * 2) throw Napi::RangeError::New(info.Env(), "counts must hold one Uint16 per mask");
  uint16_t* c = reinterpret_cast<uint16_t*>(counts.data);
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    c[i] = static_cast<uint16_t>(zmdev::mask_popcount(t.data + i * 32));
    total += c[i];
  }
  return Napi::Number::New(info.Env(), total);
}

// findSharedApqns(matrices n*64, limit?, total8?) -> Uint32Array of (a, b, apqn) triples: all of
// them, or the first `limit` (a whole number up to 2**53; none given: no limit). total8, an
// 8-byte view of a Float64Array(1), receives how many there are in all.
Napi::Value FindSharedApqns(const Napi::CallbackInfo& info) {
  Bytes m = GetBytes(info, 0, "matrices");
  if (m.length % zmdev::kMatrixBytes) throw Napi::RangeError::New(info.Env(), "matrices length must be a multiple of 64");
  if (m.length / zmdev::kMatrixBytes > UINT32_MAX) throw Napi::RangeError::New(info.Env(), "more than 2^32 - 1 matrices");
  uint64_t limit = UINT64_MAX;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "limit must be a number");
    if (!zmdev::boundary::uint_from_number(info[1].As<Napi::Number>().DoubleValue(), uint64_t{1} << 53, &limit))
      throw Napi::RangeError::New(info.Env(), "limit must be a whole number from 0 to 2**53");
  }
  Bytes total{nullptr, 0};
  if (info.Length() > 2 && !info[2].IsUndefined()) total = GetBytes(info, 2, "total", sizeof(double));
  static_assert(sizeof(zmdev::ApqnConflict) == 3 * sizeof(uint32_t), "a conflict is three packed uint32");
  // Owned here until JavaScript owns it: a throw on the way frees it.
  auto found = std::make_unique<std::vector<zmdev::ApqnConflict>>();
  uint64_t all = zmdev::find_shared_apqns(m.data, m.length / zmdev::kMatrixBytes, *found, limit);
  if (total.data != nullptr) {
    double d = static_cast<double>(all);
    std::memcpy(total.data, &d, sizeof d);
  }
  if (found->empty()) return Napi::Uint32Array::New(info.Env(), 0);
  // Hand the result's memory to JavaScript as it is: no zero-filled copy of a possibly large array.
  size_t n = found->size();
  void* data = found->data();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(
      info.Env(), data, n * sizeof(zmdev::ApqnConflict),
      [](Napi::Env, void*, std::vector<zmdev::ApqnConflict>* v) { delete v; }, found.get());
  found.release();  // the ArrayBuffer's finalizer deletes it now
  return Napi::Uint32Array::New(info.Env(), n * 3, buf, 0);
}

// ---- sysfs I/O: synchronous (a sysfs read costs well under a microsecond; a thread hop costs 30),
// and failures come back as [errno, syscall] so that TypeScript builds the SysfsError.

// Every path handed to a syscall comes through here. A NUL would end the C string early and
// name another file (`/sys/x\0y` opened /sys/x): refused with the same SysfsPathError the
// TypeScript side raises, whoever the caller is.
std::string GetPath(const Napi::CallbackInfo& info, size_t index) {
  if (!info[index].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
  std::string path = info[index].As<Napi::String>().Utf8Value();
  if (zmdev::boundary::has_nul(path.data(), path.size()))
    ThrowTyped(info.Env(), "path", "EINVAL", "a path must not contain a NUL byte", info[index]);
  return path;
}

Napi::Value Failure(Napi::Env env, long negative_errno, const char* syscall) {
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, static_cast<double>(-negative_errno)));
  a.Set(1u, Napi::String::New(env, syscall));
  return a;
}

Napi::Value Latin1(Napi::Env env, const std::string& s) {
  napi_value v;
  NAPI_THROW_IF_FAILED(env, napi_create_string_latin1(env, s.data(), s.size(), &v), Napi::Value());
  return Napi::Value(env, v);
}

// sysfsRead(path) -> latin1 string | [errno, syscall]
Napi::Value SysfsRead(const Napi::CallbackInfo& info) {
  std::string path = GetPath(info, 0);
  std::string out;
  const char* syscall = nullptr;
  int r = zmdev::sysfs::read_attribute(path.c_str(), &out, &syscall);
  if (r < 0) return Failure(info.Env(), r, syscall);
  return Latin1(info.Env(), out);
}

// sysfsReadMany(paths NUL-terminated back to back, status as Uint8Array view of Int32 [2n])
// -> every content joined in one latin1 string; status[2i] = length or -errno,
// status[2i+1] = 0, 1 (open) or 2 (read).
Napi::Value SysfsReadMany(const Napi::CallbackInfo& info) {
  Bytes paths = GetBytes(info, 0, "paths");
  Bytes status = GetBytes(info, 1, "status");
  if (status.length % 8) throw Napi::RangeError::New(info.Env(), "status must hold two Int32 per path");
  size_t n = status.length / 8;
  size_t terminators = 0;
  for (size_t i = 0; i < paths.length; ++i) terminators += paths.data[i] == 0;
  if (terminators != n || (paths.length > 0 && paths.data[paths.length - 1] != 0))
    throw Napi::RangeError::New(info.Env(), "paths must hold one NUL-terminated path per status pair");
  std::string contents;
  contents.reserve(n * 64);
  zmdev::sysfs::read_attributes(reinterpret_cast<const char*>(paths.data), n, &contents,
                                reinterpret_cast<int32_t*>(status.data));
  return Latin1(info.Env(), contents);
}

// sysfsWrite(path, bytes) -> count write(2) returned | [errno, syscall]
Napi::Value SysfsWrite(const Napi::CallbackInfo& info) {
  std::string path = GetPath(info, 0);
  Bytes data = GetBytes(info, 1, "data");
  const char* syscall = nullptr;
  long r = zmdev::sysfs::write_attribute(path.c_str(), data.data, data.length, &syscall);
  if (r < 0) return Failure(info.Env(), r, syscall);
  return Napi::Number::New(info.Env(), static_cast<double>(r));
}

// sysfsList(path) -> sorted names | [errno, syscall]
Napi::Value SysfsList(const Napi::CallbackInfo& info) {
  std::string path = GetPath(info, 0);
  std::vector<std::string> names;
  const char* syscall = nullptr;
  int r = zmdev::sysfs::list_directory(path.c_str(), &names, &syscall);
  if (r < 0) return Failure(info.Env(), r, syscall);
  Napi::Array a = Napi::Array::New(info.Env(), names.size());
  for (size_t i = 0; i < names.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::String::New(info.Env(), names[i]));
  return a;
}

// sysfsReadlink(path) -> target | [errno, syscall]
Napi::Value SysfsReadlink(const Napi::CallbackInfo& info) {
  std::string path = GetPath(info, 0);
  std::string target;
  const char* syscall = nullptr;
  int r = zmdev::sysfs::read_link(path.c_str(), &target, &syscall);
  if (r < 0) return Failure(info.Env(), r, syscall);
  return Napi::String::New(info.Env(), target);
}

// sysfsStat(path, follow) -> kind * 0x10000 + permission bits (kind 0 file, 1 dir, 2 link) | [errno, syscall]
Napi::Value SysfsStat(const Napi::CallbackInfo& info) {
  std::string path = GetPath(info, 0);
  bool follow = info[1].ToBoolean().Value();
  int kind = 0;
  unsigned mode = 0;
  const char* syscall = nullptr;
  int r = zmdev::sysfs::stat_path(path.c_str(), follow, &kind, &mode, &syscall);
  if (r < 0) return Failure(info.Env(), r, syscall);
  return Napi::Number::New(info.Env(), kind * 0x10000 + mode);
}

// ---- VFIO device ioctls: synchronous (vfio_ap answers them without sleeping, apart from RESET's
// queue polling), failures as [errno] so that TypeScript builds the error.

Napi::Value ErrnoFailure(Napi::Env env, int positive_errno) {
  Napi::Array a = Napi::Array::New(env, 1);
  a.Set(0u, Napi::Number::New(env, positive_errno));
  return a;
}

// vfioIoctl(fd, request, bytes) -> undefined | [errno]. The struct is read and written in place.
Napi::Value VfioIoctl(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber() || !info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "fd and request must be numbers");
  Bytes buf = GetBytes(info, 2, "buffer");
  // Checked, not converted: Int32Value() made 2**53 fd 0 and 1.5 fd 1, and Uint32Value() wraps
  // a request modulo 2^32. Refused before any syscall with the errno the kernel gives such
  // values: EBADF for what cannot be an fd, EINVAL for what cannot be a request number.
  int fd = -1;
  if (!zmdev::boundary::fd_from_number(info[0].As<Napi::Number>().DoubleValue(), &fd)) return ErrnoFailure(info.Env(), EBADF);
  uint64_t request = 0;
  if (!zmdev::boundary::uint_from_number(info[1].As<Napi::Number>().DoubleValue(), UINT32_MAX, &request))
    return ErrnoFailure(info.Env(), EINVAL);
  int r = zmdev::vfio::vfio_ioctl(fd, static_cast<unsigned long>(request), buf.data, buf.length);
  if (r == 0) return info.Env().Undefined();
  return ErrnoFailure(info.Env(), -r);
}

// ---- flock(2): a lock the kernel drops when its holder dies, so there is no stale state to clean.

// flockTry(fd) -> 0 | errno: flock(fd, LOCK_EX | LOCK_NB); EWOULDBLOCK while another holds it.
Napi::Value FlockTry(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "fd must be a number");
  double d = info[0].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 2147483647.0) || d != static_cast<double>(static_cast<int>(d))) {
    throw Napi::RangeError::New(info.Env(), "fd must be a whole number from 0 to 2147483647");
  }
  int r = flock(static_cast<int>(d), LOCK_EX | LOCK_NB);
  return Napi::Number::New(info.Env(), r == 0 ? 0 : errno);
}

Napi::Value Noop(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#define ZMDEV_EXPORT(name, fn) \
  exports.Set(name, Napi::Function::New<Guarded<fn>>(env, name, const_cast<char*>(name)))
  ZMDEV_EXPORT("parseKernelMask", ParseKernelMask);
  ZMDEV_EXPORT("parseChzdevMask", ParseChzdevMask);
  ZMDEV_EXPORT("parseApConfig", ParseApConfig);
  ZMDEV_EXPORT("parseKstrtoul", ParseKstrtoul);
  ZMDEV_EXPORT("parseKernelMasks", ParseKernelMasks);
  ZMDEV_EXPORT("formatMasks", FormatMasks);
  ZMDEV_EXPORT("reduceMasks", ReduceMasks);
  ZMDEV_EXPORT("popcountMasks", PopcountMasks);
  ZMDEV_EXPORT("findSharedApqns", FindSharedApqns);
  ZMDEV_EXPORT("sysfsRead", SysfsRead);
  ZMDEV_EXPORT("sysfsReadMany", SysfsReadMany);
  ZMDEV_EXPORT("sysfsWrite", SysfsWrite);
  ZMDEV_EXPORT("sysfsList", SysfsList);
  ZMDEV_EXPORT("sysfsReadlink", SysfsReadlink);
  ZMDEV_EXPORT("sysfsStat", SysfsStat);
  ZMDEV_EXPORT("vfioIoctl", VfioIoctl);
  ZMDEV_EXPORT("flockTry", FlockTry);
  ZMDEV_EXPORT("noop", Noop);
  ZMDEV_EXPORT("setErrorFactory", SetErrorFactory);
#undef ZMDEV_EXPORT
  return exports;
}

}  // namespace

NODE_API_MODULE(zmdev, Init)
