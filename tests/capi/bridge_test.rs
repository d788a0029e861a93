// An execution tier written in Rust, plugged into RunaTime through the C ABI
// only (runatime.h's bridge part and rt_tier0.h, declared here by hand: no
// crates, no bindgen). Tier 0 interprets; this second tier (level 1) serves
// functions of one simple shape natively — add3(a, b, c), guarded on its
// arguments being small Integers — once the policy promotes them. When a
// guard fails it asks RunaTime to deoptimise the function and hands the
// call back to tier 0 through the function's entry.
//
// Checks: the policy promotes hot add3 to this tier (its invocation counter
// crosses the threshold in tier 0, the policy thread calls prepare and
// installs the entry); tier 0's calls then reach this tier; a call with
// Strings fails the guard, deoptimises add3 back to tier 0 (the budget
// shrinks by one) and still gives tier 0's answer; a native written in
// Rust is registered and called from Runa code. Exits 0 on success.
// Built with `rustc --edition 2021 -O` (tests/capi/CMakeLists.txt).
use std::ffi::{c_void, CStr, CString};
use std::os::raw::{c_char, c_int};
use std::process::exit;
use std::sync::atomic::{AtomicU64, Ordering};

type RtStatus = c_int;
const RT_OK: RtStatus = 0;
const RT_ERROR_THROWN: RtStatus = 7;
type RtValue = u64;

#[repr(C)]
struct RtRuntime {
    _private: [u8; 0],
}
#[repr(C)]
struct RtThread {
    _private: [u8; 0],
}
#[repr(C)]
struct RtModule {
    _private: [u8; 0],
}
#[repr(C)]
struct RtFunction {
    _private: [u8; 0],
}
#[repr(C)]
struct RtTier0 {
    _private: [u8; 0],
}

#[repr(C)]
struct RtRuntimeOptions {
    size: usize,
    heap_options: *const c_char,
    module_path: *const *const c_char,
    module_path_count: usize,
    arguments: *const *const c_char,
    argument_count: usize,
    call_threshold: u32,
    backedge_threshold: u32,
    speculation_budget: u32,
    tier_log: u32,
}

type Invoke = extern "C" fn(
    self_: *mut c_void,
    thread: *mut RtThread,
    f: *const RtFunction,
    callee: *mut RtValue,
    args: *mut RtValue,
    n: u32,
    out: *mut RtValue,
) -> RtStatus;
type Prepare = extern "C" fn(self_: *mut c_void, f: *const RtFunction, osr: u32) -> *mut c_void;
type Release = extern "C" fn(self_: *mut c_void, f: *const RtFunction, code: *mut c_void);
type Enter = extern "C" fn(
    self_: *mut c_void,
    thread: *mut RtThread,
    f: *const RtFunction,
    code: *mut c_void,
    offset: u32,
    frame: *mut RtValue,
    slots: u32,
    stack: u32,
    out: *mut RtValue,
) -> RtStatus;

#[repr(C)]
struct RtTierCallbacks {
    size: usize,
    invoke: Option<Invoke>,
    prepare: Option<Prepare>,
    release: Option<Release>,
    enter: Option<Enter>, // on-stack replacement: this tier takes no running frames
}

#[repr(C)]
struct RtFunctionInfo {
    size: usize,
    name: *const c_char,
    code: *const u8,
    code_length: usize,
    params: u32,
    frame_slots: u32,
    max_stack: u32,
    tier: u32,
    tier_code: *mut c_void,
}

#[repr(C)]
struct RtProfile {
    size: usize,
    calls: u32,
    backedges: u32,
    deopts: u32,
    branches: u32,
    allocation_sites: u32,
    method_sites: u32,
}

#[repr(C)]
struct RtNativeCall {
    thread: *mut RtThread,
    args: *const RtValue,
    count: u32,
    result: RtValue,
}
type NativeFn = extern "C" fn(context: *mut c_void, call: *mut RtNativeCall) -> RtStatus;

extern "C" {
    fn rt_native_register(
        runtime: *mut RtRuntime,
        name: *const c_char,
        arity: u32,
        f: NativeFn,
        context: *mut c_void,
    ) -> RtStatus;
    fn rt_native_throw(call: *mut RtNativeCall, kind: *const c_char, message: *const c_char)
        -> RtStatus;
    fn rt_last_error() -> *const c_char;
    fn rt_status_name(status: RtStatus) -> *const c_char;
    fn rt_runtime_options_init(options: *mut RtRuntimeOptions) -> RtStatus;
    fn rt_runtime_create(options: *const RtRuntimeOptions, out: *mut *mut RtRuntime) -> RtStatus;
    fn rt_runtime_destroy(runtime: *mut RtRuntime) -> RtStatus;
    fn rt_thread_attach(runtime: *mut RtRuntime, out: *mut *mut RtThread) -> RtStatus;
    fn rt_thread_detach(runtime: *mut RtRuntime, thread: *mut RtThread) -> RtStatus;
    fn rt_module_load(thread: *mut RtThread, path: *const c_char, out: *mut *const RtModule)
        -> RtStatus;
    fn rt_module_function(
        module: *const RtModule,
        name: *const c_char,
        out: *mut *const RtFunction,
    ) -> RtStatus;
    fn rt_call(
        thread: *mut RtThread,
        f: *const RtFunction,
        args: *const RtValue,
        n: u32,
        out: *mut RtValue,
    ) -> RtStatus;
    fn rt_integer_new(thread: *mut RtThread, i: i64, out: *mut RtValue) -> RtStatus;
    fn rt_integer_get(thread: *mut RtThread, v: RtValue, out: *mut i64) -> RtStatus;
    fn rt_string_get(
        thread: *mut RtThread,
        v: RtValue,
        buffer: *mut c_char,
        capacity: usize,
        length: *mut usize,
    ) -> RtStatus;
    fn rt_tier_callbacks_init(callbacks: *mut RtTierCallbacks) -> RtStatus;
    fn rt_tier_register(
        runtime: *mut RtRuntime,
        name: *const c_char,
        level: u32,
        callbacks: *const RtTierCallbacks,
        self_: *mut c_void,
        index: *mut u32,
    ) -> RtStatus;
    fn rt_function_info_init(info: *mut RtFunctionInfo) -> RtStatus;
    fn rt_function_get_info(f: *const RtFunction, out: *mut RtFunctionInfo) -> RtStatus;
    fn rt_profile_init(profile: *mut RtProfile) -> RtStatus;
    fn rt_profile_query(f: *const RtFunction, out: *mut RtProfile) -> RtStatus;
    fn rt_deoptimize(runtime: *mut RtRuntime, f: *const RtFunction, reason: *const c_char)
        -> RtStatus;
    fn rt_speculation_budget(
        runtime: *mut RtRuntime,
        f: *const RtFunction,
        remaining: *mut u32,
    ) -> RtStatus;
    fn rt_policy_drain(runtime: *mut RtRuntime) -> RtStatus;
    fn rt_tier0_install(runtime: *mut RtRuntime, out: *mut *mut RtTier0, index: *mut u32)
        -> RtStatus;
    fn rt_tier0_destroy(engine: *mut RtTier0) -> RtStatus;
}

// ---- checks ---------------------------------------------------------------------------

fn check(status: RtStatus, what: &str) {
    if status != RT_OK {
        unsafe {
            eprintln!(
                "{}: {}: {}",
                what,
                CStr::from_ptr(rt_status_name(status)).to_string_lossy(),
                CStr::from_ptr(rt_last_error()).to_string_lossy()
            );
        }
        exit(1);
    }
}

macro_rules! expect {
    ($cond:expr) => {
        if !$cond {
            eprintln!("{}:{}: expected {}", file!(), line!(), stringify!($cond));
            exit(1);
        }
    };
}

// ---- the tier ---------------------------------------------------------------------------

// The value encoding of docs/types.md: a small Integer has the tag 001 and
// its value in bits 63..3.
const SMALL_INT_TAG: u64 = 1;
const SMALL_MIN: i64 = -(1 << 60);
const SMALL_MAX: i64 = (1 << 60) - 1;

struct RustTier {
    runtime: *mut RtRuntime,
    invocations: AtomicU64,
    guard_failures: AtomicU64,
    prepared: AtomicU64,
}

// The code word this tier installs for add3: a marker it recognises.
static ADD3_CODE: u8 = 3;

extern "C" fn prepare(self_: *mut c_void, f: *const RtFunction, _osr: u32) -> *mut c_void {
    let tier = unsafe { &*(self_ as *const RustTier) };
    let mut info: RtFunctionInfo = unsafe { std::mem::zeroed() };
    unsafe {
        rt_function_info_init(&mut info);
        if rt_function_get_info(f, &mut info) != RT_OK {
            return std::ptr::null_mut();
        }
    }
    let name = unsafe { CStr::from_ptr(info.name) };
    // The one shape this tier compiles: three parameters, LOAD a, LOAD b,
    // ADD, LOAD c, ADD, RETURN (12 bytes of bytecode).
    let code = unsafe { std::slice::from_raw_parts(info.code, info.code_length) };
    let shape: [u8; 12] = [0x03, 0, 0, 0x03, 1, 0, 0x10, 0x03, 2, 0, 0x10, 0x0C];
    if name.to_bytes() == b"add3" && info.params == 3 && code == shape {
        tier.prepared.fetch_add(1, Ordering::Relaxed);
        return &ADD3_CODE as *const u8 as *mut c_void;
    }
    std::ptr::null_mut()
}

extern "C" fn invoke(
    self_: *mut c_void,
    thread: *mut RtThread,
    f: *const RtFunction,
    _callee: *mut RtValue,
    args: *mut RtValue,
    n: u32,
    out: *mut RtValue,
) -> RtStatus {
    let tier = unsafe { &*(self_ as *const RustTier) };
    tier.invocations.fetch_add(1, Ordering::Relaxed);
    let args = unsafe { std::slice::from_raw_parts(args, n as usize) };
    // The guard: three small Integers whose sum stays small.
    let small = |v: u64| v & 7 == SMALL_INT_TAG;
    if n == 3 && args.iter().all(|&v| small(v)) {
        let sum: i64 = args.iter().map(|&v| (v as i64) >> 3).sum();
        if (SMALL_MIN..=SMALL_MAX).contains(&sum) {
            unsafe { *out = ((sum as u64) << 3) | SMALL_INT_TAG };
            return RT_OK;
        }
    }
    // The guard failed: back to tier 0 for good (until promoted again), and
    // this call too, through the entry the deoptimisation installed.
    tier.guard_failures.fetch_add(1, Ordering::Relaxed);
    unsafe {
        let reason = CString::new("add3: an argument is not a small Integer").unwrap();
        let s = rt_deoptimize(tier.runtime, f, reason.as_ptr());
        if s != RT_OK {
            return s;
        }
        rt_call(thread, f, args.as_ptr(), n, out)
    }
}

// c_scale(x, factor) = x * factor: a native written in Rust.
extern "C" fn c_scale(_context: *mut c_void, call: *mut RtNativeCall) -> RtStatus {
    unsafe {
        let c = &mut *call;
        let args = std::slice::from_raw_parts(c.args, c.count as usize);
        let (mut x, mut factor) = (0i64, 0i64);
        if rt_integer_get(c.thread, args[0], &mut x) != RT_OK
            || rt_integer_get(c.thread, args[1], &mut factor) != RT_OK
        {
            let kind = CString::new("TypeError").unwrap();
            let message = CString::new("c_scale takes two Integers").unwrap();
            return rt_native_throw(call, kind.as_ptr(), message.as_ptr());
        }
        rt_integer_new(c.thread, x * factor, &mut c.result)
    }
}

fn function(module: *const RtModule, name: &str) -> *const RtFunction {
    let mut f: *const RtFunction = std::ptr::null();
    let c = CString::new(name).unwrap();
    check(unsafe { rt_module_function(module, c.as_ptr(), &mut f) }, name);
    f
}

fn tier_of(f: *const RtFunction) -> u32 {
    let mut info: RtFunctionInfo = unsafe { std::mem::zeroed() };
    unsafe {
        rt_function_info_init(&mut info);
        check(rt_function_get_info(f, &mut info), "rt_function_get_info");
    }
    info.tier
}

fn main() {
    let dir = env!("RUNA_CAPI_DIR");
    unsafe {
        let mut options: RtRuntimeOptions = std::mem::zeroed();
        check(rt_runtime_options_init(&mut options), "options");
        let path = CString::new(dir).unwrap();
        let paths = [path.as_ptr()];
        options.module_path = paths.as_ptr();
        options.module_path_count = 1;
        options.call_threshold = 50;
        let mut runtime: *mut RtRuntime = std::ptr::null_mut();
        check(rt_runtime_create(&options, &mut runtime), "rt_runtime_create");

        let scale = CString::new("c_scale").unwrap();
        check(
            rt_native_register(runtime, scale.as_ptr(), 2, c_scale, std::ptr::null_mut()),
            "rt_native_register",
        );
        let mut tier0: *mut RtTier0 = std::ptr::null_mut();
        let mut tier0_index = 0u32;
        check(rt_tier0_install(runtime, &mut tier0, &mut tier0_index), "rt_tier0_install");
        let tier = Box::new(RustTier {
            runtime,
            invocations: AtomicU64::new(0),
            guard_failures: AtomicU64::new(0),
            prepared: AtomicU64::new(0),
        });
        let mut callbacks: RtTierCallbacks = std::mem::zeroed();
        check(rt_tier_callbacks_init(&mut callbacks), "callbacks");
        callbacks.invoke = Some(invoke);
        callbacks.prepare = Some(prepare);
        let name = CString::new("rust tier 1").unwrap();
        let mut rust_index = 0u32;
        check(
            rt_tier_register(
                runtime,
                name.as_ptr(),
                1,
                &callbacks,
                &*tier as *const RustTier as *mut c_void,
                &mut rust_index,
            ),
            "rt_tier_register",
        );
        expect!(rust_index != tier0_index);

        let mut thread: *mut RtThread = std::ptr::null_mut();
        check(rt_thread_attach(runtime, &mut thread), "rt_thread_attach");
        let file = CString::new(format!("{}/bridge_program.runas", dir)).unwrap();
        let mut module: *const RtModule = std::ptr::null();
        check(rt_module_load(thread, file.as_ptr(), &mut module), "rt_module_load");
        let add3 = function(module, "add3");
        let sum_add3 = function(module, "sum_add3");
        expect!(tier_of(add3) == tier0_index);

        // sum_add3(100) calls add3 100 times in tier 0: past 50 calls the
        // policy queues add3 for this tier and its thread installs it.
        let mut arg: RtValue = 0;
        let mut out: RtValue = 0;
        let mut i: i64 = 0;
        check(rt_integer_new(thread, 100, &mut arg), "rt_integer_new");
        check(rt_call(thread, sum_add3, &arg, 1, &mut out), "sum_add3");
        check(rt_integer_get(thread, out, &mut i), "rt_integer_get");
        expect!(i == 3 * 5050);
        check(rt_policy_drain(runtime), "rt_policy_drain");
        expect!(tier.prepared.load(Ordering::Relaxed) == 1);
        expect!(tier_of(add3) == rust_index);
        expect!(tier_of(sum_add3) == tier0_index); // this tier refused its shape

        // Now tier 0's calls of add3 reach this tier.
        let before = tier.invocations.load(Ordering::Relaxed);
        check(rt_call(thread, sum_add3, &arg, 1, &mut out), "sum_add3 again");
        check(rt_integer_get(thread, out, &mut i), "rt_integer_get");
        expect!(i == 3 * 5050);
        expect!(tier.invocations.load(Ordering::Relaxed) - before == 100);

        // Strings fail the guard: add3 goes back to tier 0, which joins them.
        // (joined() makes the Strings: a host's references are not roots across
        // calls that may collect, and each rt_string_new may.)
        let joined = function(module, "joined");
        check(rt_call(thread, joined, std::ptr::null(), 0, &mut out), "joined");
        let mut buffer = [0 as c_char; 16];
        let mut length = 0usize;
        check(rt_string_get(thread, out, buffer.as_mut_ptr(), 16, &mut length), "rt_string_get");
        expect!(CStr::from_ptr(buffer.as_ptr()).to_bytes() == b"abc");
        expect!(tier.guard_failures.load(Ordering::Relaxed) == 1);
        expect!(tier_of(add3) == tier0_index);
        let mut profile: RtProfile = std::mem::zeroed();
        check(rt_profile_init(&mut profile), "rt_profile_init");
        check(rt_profile_query(add3, &mut profile), "rt_profile_query");
        expect!(profile.deopts == 1);
        let mut remaining = 0u32;
        check(rt_speculation_budget(runtime, add3, &mut remaining), "budget");
        expect!(remaining == 3);
        check(rt_profile_query(sum_add3, &mut profile), "rt_profile_query");
        expect!(profile.calls == 2 && profile.backedges == 200);

        // The Rust native, called from Runa code.
        let scaled = function(module, "scaled");
        check(rt_integer_new(thread, 4, &mut arg), "rt_integer_new");
        check(rt_call(thread, scaled, &arg, 1, &mut out), "scaled");
        check(rt_integer_get(thread, out, &mut i), "rt_integer_get");
        expect!(i == 40);

        // An error from Runa code still crosses this tier's boundary intact.
        let fails = function(module, "fails");
        expect!(rt_call(thread, fails, std::ptr::null(), 0, &mut out) == RT_ERROR_THROWN);

        check(rt_thread_detach(runtime, thread), "rt_thread_detach");
        check(rt_runtime_destroy(runtime), "rt_runtime_destroy");
        check(rt_tier0_destroy(tier0), "rt_tier0_destroy");
        drop(tier);
    }
    println!("bridge from Rust: a second tier promoted, used and deoptimised; all checks passed");
}
