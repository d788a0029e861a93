// Allocation policies shared by the C++ peers (binary_trees.cpp, gcbench.cpp,
// pause_ring.cpp). Each
// peer is compiled once per policy; PEER_ALLOC selects which one (CMakeLists.txt sets
// it):
//
//   PEER_ALLOC_GLIBC     `new`/`delete` (libstdc++'s operator new calls glibc malloc)
//   PEER_ALLOC_MIMALLOC  mi_malloc/mi_free from Debian's libmimalloc-dev
//   PEER_ALLOC_BOEHM     GC_MALLOC from Debian's libgc-dev; nothing is ever freed
//
// A policy is a struct with:
//   static constexpr const char* kName;
//   static constexpr bool kFrees;          // false: the peer drops its references only
//   static void init();                     // once, first thing in main()
//   template <class T, class... A> static T* make(A&&...);   // one object
//   template <class T> static void destroy(T*);               // one object
//   static double* make_doubles(size_t n);                    // array, no pointers in it
//   static void destroy_doubles(double*);
//   static unsigned char* make_bytes(size_t n);               // array, no pointers in it
//   static void destroy_bytes(unsigned char*);
#pragma once

#include <cstddef>
#include <new>
#include <utility>

#define PEER_ALLOC_GLIBC 1
#define PEER_ALLOC_MIMALLOC 2
#define PEER_ALLOC_BOEHM 3

#ifndef PEER_ALLOC
#error "compile with -DPEER_ALLOC=PEER_ALLOC_GLIBC, PEER_ALLOC_MIMALLOC or PEER_ALLOC_BOEHM"
#endif

#if PEER_ALLOC == PEER_ALLOC_MIMALLOC
#include <mimalloc.h>
#elif PEER_ALLOC == PEER_ALLOC_BOEHM
#include <gc/gc.h>
#endif

namespace peers {

struct GlibcAlloc {
  static constexpr const char* kName = "glibc";
  static constexpr bool kFrees = true;
  static void init() {}
  template <class T, class... A>
  static T* make(A&&... args) {
    return new T{std::forward<A>(args)...};
  }
  template <class T>
  static void destroy(T* object) {
    delete object;
  }
  static double* make_doubles(size_t n) { return new double[n]; }
  static void destroy_doubles(double* array) { delete[] array; }
  static unsigned char* make_bytes(size_t n) { return new unsigned char[n]; }
  static void destroy_bytes(unsigned char* array) { delete[] array; }
};

#if PEER_ALLOC == PEER_ALLOC_MIMALLOC
struct MimallocAlloc {
  static constexpr const char* kName = "mimalloc";
  static constexpr bool kFrees = true;
  static void init() {}
  template <class T, class... A>
  static T* make(A&&... args) {
    void* memory = mi_malloc(sizeof(T));
    if (memory == nullptr) throw std::bad_alloc();
    return new (memory) T{std::forward<A>(args)...};
  }
  template <class T>
  static void destroy(T* object) {
    object->~T();
    mi_free(object);
  }
  static double* make_doubles(size_t n) {
    void* memory = mi_malloc(n * sizeof(double));
    if (memory == nullptr) throw std::bad_alloc();
    return static_cast<double*>(memory);
  }
  static void destroy_doubles(double* array) { mi_free(array); }
  static unsigned char* make_bytes(size_t n) {
    void* memory = mi_malloc(n);
    if (memory == nullptr) throw std::bad_alloc();
    return static_cast<unsigned char*>(memory);
  }
  static void destroy_bytes(unsigned char* array) { mi_free(array); }
};
#endif

#if PEER_ALLOC == PEER_ALLOC_BOEHM
// Boehm's defaults are kept (interior pointers recognised, parallel marking when the
// library was built with it, as Debian's is): the point is the collector as people
// use it. With interior pointers on, Boehm adds one byte to every request, so a
// 16-byte node occupies a 32-byte granule-pair; that is part of what is measured.
struct BoehmAlloc {
  static constexpr const char* kName = "boehm";
  static constexpr bool kFrees = false;
  static void init() { GC_INIT(); }
  template <class T, class... A>
  static T* make(A&&... args) {
    void* memory = GC_MALLOC(sizeof(T));
    if (memory == nullptr) throw std::bad_alloc();
    return new (memory) T{std::forward<A>(args)...};
  }
  template <class T>
  static void destroy(T*) {}
  // Atomic: the collector never scans the doubles for pointers.
  static double* make_doubles(size_t n) {
    void* memory = GC_MALLOC_ATOMIC(n * sizeof(double));
    if (memory == nullptr) throw std::bad_alloc();
    return static_cast<double*>(memory);
  }
  static void destroy_doubles(double*) {}
  static unsigned char* make_bytes(size_t n) {
    void* memory = GC_MALLOC_ATOMIC(n);
    if (memory == nullptr) throw std::bad_alloc();
    return static_cast<unsigned char*>(memory);
  }
  static void destroy_bytes(unsigned char*) {}
};
#endif

#if PEER_ALLOC == PEER_ALLOC_GLIBC
using Alloc = GlibcAlloc;
#elif PEER_ALLOC == PEER_ALLOC_MIMALLOC
using Alloc = MimallocAlloc;
#elif PEER_ALLOC == PEER_ALLOC_BOEHM
using Alloc = BoehmAlloc;
#else
#error "unknown PEER_ALLOC"
#endif

}  // namespace peers
