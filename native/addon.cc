// The only file that knows Node: thin N-API glue over the C++ core. Calls are coarse (one call,
// a whole batch) because a JS->C++ crossing costs more than a 256-bit operation.
#include <napi.h>

#include <cstring>
#include <string>
#include <vector>

#include "apqn_conflicts.h"
#include "mask_core.h"

namespace {

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

// findSharedApqns(matrices n*64) -> Uint32Array of (a, b, apqn) triples
Napi::Value FindSharedApqns(const Napi::CallbackInfo& info) {
  Bytes m = GetBytes(info, 0, "matrices");
  if (m.length % zmdev::kMatrixBytes) throw Napi::RangeError::New(info.Env(), "matrices length must be a multiple of 64");
  std::vector<zmdev::ApqnConflict> found;
  zmdev::find_shared_apqns(m.data, m.length / zmdev::kMatrixBytes, found);
  Napi::Uint32Array out = Napi::Uint32Array::New(info.Env(), found.size() * 3);
  uint32_t* d = out.Data();
  for (size_t i = 0; i < found.size(); ++i) {
    d[3 * i] = found[i].a;
    d[3 * i + 1] = found[i].b;
    d[3 * i + 2] = found[i].apqn;
  }
  return out;
}

Napi::Value Noop(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("parseKernelMask", Napi::Function::New(env, ParseKernelMask));
  exports.Set("parseChzdevMask", Napi::Function::New(env, ParseChzdevMask));
  exports.Set("parseApConfig", Napi::Function::New(env, ParseApConfig));
  exports.Set("parseKstrtoul", Napi::Function::New(env, ParseKstrtoul));
  exports.Set("parseKernelMasks", Napi::Function::New(env, ParseKernelMasks));
  exports.Set("formatMasks", Napi::Function::New(env, FormatMasks));
  exports.Set("reduceMasks", Napi::Function::New(env, ReduceMasks));
  exports.Set("popcountMasks", Napi::Function::New(env, PopcountMasks));
  exports.Set("findSharedApqns", Napi::Function::New(env, FindSharedApqns));
  exports.Set("noop", Napi::Function::New(env, Noop));
  return exports;
}

}  // namespace

NODE_API_MODULE(zmdev, Init)
