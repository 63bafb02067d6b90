// Internal, not part of the API: clang -Wthread-safety attributes (no-ops elsewhere).
#pragma once

#if defined(__clang__)
#define TOFU_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define TOFU_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) TOFU_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY TOFU_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) TOFU_THREAD_ANNOTATION(guarded_by(x))
#define ACQUIRE(...) TOFU_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) TOFU_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define REQUIRES(...) TOFU_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) TOFU_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
