//! The C symbols that stand in front of libc's.
//!
//! Each asks [`super::intercept`] how to answer and either forwards to the
//! libc function found with `dlsym(RTLD_NEXT, ..)` (looked up once) or answers
//! from the simulation. None of them allocates or takes a lock on the path that
//! forwards, so they are safe at any point of a thread's life.

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod linux {
    use std::ffi::{CStr, c_int, c_long, c_uint, c_void};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use libc::{clockid_t, size_t, ssize_t, time_t, timespec, timeval};

    use super::super::{
        Answer, LeakKind, intercept, virtual_fill, virtual_now, virtual_wall_nanos,
    };

    /// A libc function, found on first use.
    struct Real {
        name: &'static CStr,
        address: AtomicUsize,
    }

    impl Real {
        const fn new(name: &'static CStr) -> Real {
            Real {
                name,
                address: AtomicUsize::new(0),
            }
        }

        fn get(&self) -> usize {
            let address = self.address.load(Ordering::Relaxed);
            if address != 0 {
                return address;
            }
            // SAFETY: `name` is a NUL-terminated symbol name.
            let found = unsafe { libc::dlsym(libc::RTLD_NEXT, self.name.as_ptr()) } as usize;
            if found == 0 {
                // Nothing sensible can be returned in place of a libc function.
                std::process::abort();
            }
            self.address.store(found, Ordering::Relaxed);
            found
        }
    }

    static CLOCK_GETTIME: Real = Real::new(c"clock_gettime");
    static GETTIMEOFDAY: Real = Real::new(c"gettimeofday");
    static TIME: Real = Real::new(c"time");
    static GETRANDOM: Real = Real::new(c"getrandom");
    static GETENTROPY: Real = Real::new(c"getentropy");
    static SYSCALL: Real = Real::new(c"syscall");
    static PTHREAD_CREATE: Real = Real::new(c"pthread_create");

    /// Where a virtual monotonic clock starts (it is never zero on a real machine either).
    const VIRTUAL_BOOT_S: u64 = 86_400;
    const NANOS_PER_S: u64 = 1_000_000_000;

    fn is_wall(clock: clockid_t) -> bool {
        matches!(
            clock,
            libc::CLOCK_REALTIME | libc::CLOCK_REALTIME_COARSE | libc::CLOCK_TAI | 8 /* CLOCK_REALTIME_ALARM */
        )
    }

    /// Seconds and nanoseconds of a virtual clock: the calling host's wall
    /// clock, or the monotonic clock (simulated time plus a boot offset).
    fn virtual_clock(wall: bool) -> (u64, u64) {
        let nanos = if wall {
            virtual_wall_nanos()
        } else {
            virtual_now() + VIRTUAL_BOOT_S * NANOS_PER_S
        };
        (nanos / NANOS_PER_S, nanos % NANOS_PER_S)
    }

    /// # Safety
    ///
    /// As libc's `clock_gettime`.
    #[unsafe(no_mangle)]
    pub(super) unsafe extern "C" fn clock_gettime(clock: clockid_t, tp: *mut timespec) -> c_int {
        let wall = is_wall(clock);
        let kind = if wall {
            LeakKind::WallClock
        } else {
            LeakKind::Clock
        };
        if intercept(kind) == Answer::Real || tp.is_null() {
            type F = unsafe extern "C" fn(clockid_t, *mut timespec) -> c_int;
            // SAFETY: the address of libc's `clock_gettime`, which has this signature.
            let real: F = unsafe { std::mem::transmute(CLOCK_GETTIME.get()) };
            return unsafe { real(clock, tp) };
        }
        let (secs, nanos) = virtual_clock(wall);
        // SAFETY: the caller passes a valid `timespec`.
        unsafe {
            (*tp).tv_sec = secs as time_t;
            (*tp).tv_nsec = nanos as c_long;
        }
        0
    }

    /// # Safety
    ///
    /// As libc's `gettimeofday`.
    #[unsafe(no_mangle)]
    pub(super) unsafe extern "C" fn gettimeofday(tv: *mut timeval, tz: *mut c_void) -> c_int {
        if intercept(LeakKind::WallClock) == Answer::Real || tv.is_null() {
            type F = unsafe extern "C" fn(*mut timeval, *mut c_void) -> c_int;
            // SAFETY: the address of libc's `gettimeofday`.
            let real: F = unsafe { std::mem::transmute(GETTIMEOFDAY.get()) };
            return unsafe { real(tv, tz) };
        }
        let (secs, nanos) = virtual_clock(true);
        // SAFETY: the caller passes a valid `timeval`.
        unsafe {
            (*tv).tv_sec = secs as time_t;
            (*tv).tv_usec = (nanos / 1_000) as libc::suseconds_t;
        }
        0
    }

    /// # Safety
    ///
    /// As libc's `time`.
    #[unsafe(no_mangle)]
    pub(super) unsafe extern "C" fn time(out: *mut time_t) -> time_t {
        if intercept(LeakKind::WallClock) == Answer::Real {
            type F = unsafe extern "C" fn(*mut time_t) -> time_t;
            // SAFETY: the address of libc's `time`.
            let real: F = unsafe { std::mem::transmute(TIME.get()) };
            return unsafe { real(out) };
        }
        let secs = virtual_clock(true).0 as time_t;
        if !out.is_null() {
            // SAFETY: the caller passes a valid pointer or null.
            unsafe { *out = secs };
        }
        secs
    }

    /// # Safety
    ///
    /// As libc's `getrandom`.
    #[unsafe(no_mangle)]
    pub(super) unsafe extern "C" fn getrandom(
        buf: *mut c_void,
        len: size_t,
        flags: c_uint,
    ) -> ssize_t {
        if intercept(LeakKind::Randomness) == Answer::Real || buf.is_null() {
            type F = unsafe extern "C" fn(*mut c_void, size_t, c_uint) -> ssize_t;
            // SAFETY: the address of libc's `getrandom`.
            let real: F = unsafe { std::mem::transmute(GETRANDOM.get()) };
            return unsafe { real(buf, len, flags) };
        }
        // SAFETY: the caller passes `len` writable bytes.
        virtual_fill(unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), len) });
        len as ssize_t
    }

    /// # Safety
    ///
    /// As libc's `getentropy`.
    #[unsafe(no_mangle)]
    pub(super) unsafe extern "C" fn getentropy(buf: *mut c_void, len: size_t) -> c_int {
        if intercept(LeakKind::Randomness) == Answer::Real || buf.is_null() || len > 256 {
            type F = unsafe extern "C" fn(*mut c_void, size_t) -> c_int;
            // SAFETY: the address of libc's `getentropy`.
            let real: F = unsafe { std::mem::transmute(GETENTROPY.get()) };
            return unsafe { real(buf, len) };
        }
        // SAFETY: the caller passes `len` writable bytes.
        virtual_fill(unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), len) });
        0
    }

    /// `syscall(2)`, for the crates that call `getrandom` or `clock_gettime` by
    /// number (`getrandom` 0.2, which `rand` 0.8 uses). C's `syscall` is
    /// variadic; on x86-64 and AArch64 Linux a variadic callee finds integer
    /// arguments where a fixed-arity one does, so six `long`s receive them
    /// (the kernel ignores those a call does not use).
    ///
    /// # Safety
    ///
    /// As libc's `syscall`.
    #[unsafe(no_mangle)]
    pub(super) unsafe extern "C" fn syscall(
        number: c_long,
        a: c_long,
        b: c_long,
        c: c_long,
        d: c_long,
        e: c_long,
        f: c_long,
    ) -> c_long {
        if number == libc::SYS_getrandom && a != 0 {
            // SAFETY: as for `getrandom`; the forwarding path is the same function.
            return unsafe { getrandom(a as *mut c_void, b as size_t, c as c_uint) } as c_long;
        }
        if number == libc::SYS_clock_gettime {
            // SAFETY: as for `clock_gettime`.
            return unsafe { clock_gettime(a as clockid_t, b as *mut timespec) } as c_long;
        }
        type F =
            unsafe extern "C" fn(c_long, c_long, c_long, c_long, c_long, c_long, c_long) -> c_long;
        // SAFETY: the address of libc's `syscall`, called with its arguments as received.
        let real: F = unsafe { std::mem::transmute(SYSCALL.get()) };
        unsafe { real(number, a, b, c, d, e, f) }
    }

    type StartRoutine = extern "C" fn(*mut c_void) -> *mut c_void;

    /// # Safety
    ///
    /// As libc's `pthread_create`.
    #[unsafe(no_mangle)]
    pub(super) unsafe extern "C" fn pthread_create(
        thread: *mut libc::pthread_t,
        attr: *const libc::pthread_attr_t,
        start: StartRoutine,
        arg: *mut c_void,
    ) -> c_int {
        if intercept(LeakKind::Thread) == Answer::Refuse {
            return libc::EAGAIN;
        }
        type F = unsafe extern "C" fn(
            *mut libc::pthread_t,
            *const libc::pthread_attr_t,
            StartRoutine,
            *mut c_void,
        ) -> c_int;
        // SAFETY: the address of libc's `pthread_create`.
        let real: F = unsafe { std::mem::transmute(PTHREAD_CREATE.get()) };
        unsafe { real(thread, attr, start, arg) }
    }

    /// Keeps the object holding the hooks in every link that uses the sanitizer.
    pub(crate) fn anchor() -> usize {
        [
            clock_gettime as *const () as usize,
            getrandom as *const () as usize,
            syscall as *const () as usize,
            pthread_create as *const () as usize,
            gettimeofday as *const () as usize,
            time as *const () as usize,
            getentropy as *const () as usize,
        ]
        .iter()
        .fold(0, |all, address| all ^ address)
    }
}

/// Whether the hooks exist on this platform.
pub(crate) const SUPPORTED: bool = cfg!(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
));

/// Keeps the hooks in the link (the linker drops an unreferenced object).
#[inline(never)]
pub(crate) fn anchor() -> usize {
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    return linux::anchor();
    #[cfg(not(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    return 0;
}
