// kmalloc size classes, names and slab geometry per era (pure functions of SlabRules).
#include <catch2/catch.hpp>

#include "mm/slab/slab_geometry.h"

using namespace kmemu;

TEST_CASE("kmalloc rules: allocator of the era and KMALLOC_* limits", "[kmalloc]") {
    // SLAB until 2.6.22, SLUB from 2.6.23 (the Kconfig default changed there).
    CHECK(!slab_rules_for({2, 6, 22}, Arch::I386).is_slub());
    CHECK(slab_rules_for({2, 6, 23}, Arch::I386).is_slub());
    const auto r61 = slab_rules_for({6, 1, 0}, Arch::X86_64);
    // KMALLOC_MAX_CACHE_SIZE = 2 * PAGE_SIZE; KMALLOC_MAX_SIZE = 4096 << (11 - 1) = 4 MiB.
    CHECK(r61.kmalloc_max_cache_size == 8192);
    CHECK(r61.kmalloc_max_size == 4 * MiB);
    // 2.6.24-2.6.29 SLUB passed everything above PAGE_SIZE to the page allocator.
    CHECK(slab_rules_for({2, 6, 27}, Arch::X86_64).kmalloc_max_cache_size == 4096);
    // SLAB 2.6.20: the table ends at size-131072.
    CHECK(slab_rules_for({2, 6, 20}, Arch::I386).kmalloc_max_size == 131072);
}

TEST_CASE("kmalloc rules: classes per arch and era", "[kmalloc]") {
    const auto x86 = slab_rules_for({6, 1, 0}, Arch::X86_64);
    // x86: KMALLOC_MIN_SIZE 8; 65..96 -> 96, 129..192 -> 192, 193 -> 256.
    CHECK(*kmalloc_class_for(x86, 1) == 8);
    CHECK(*kmalloc_class_for(x86, 9) == 16);
    CHECK(*kmalloc_class_for(x86, 65) == 96);
    CHECK(*kmalloc_class_for(x86, 97) == 128);
    CHECK(*kmalloc_class_for(x86, 129) == 192);
    CHECK(*kmalloc_class_for(x86, 193) == 256);
    CHECK(*kmalloc_class_for(x86, 8192) == 8192);
    CHECK(!kmalloc_class_for(x86, 8193));
    CHECK(!kmalloc_class_for(x86, 0));
    CHECK(kmalloc_classes(x86) ==
          std::vector<u64>{8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192});
    // arm (ARCH_DMA_MINALIGN 64): kmalloc-64 is the smallest, no 96, 192 kept.
    const auto arm = slab_rules_for({5, 10, 0}, Arch::Arm);
    CHECK(*kmalloc_class_for(arm, 1) == 64);
    CHECK(*kmalloc_class_for(arm, 65) == 128);
    CHECK(*kmalloc_class_for(arm, 129) == 192);
    // arm64 4.4..6.4 (ARCH_DMA_MINALIGN 128): no 96, no 192.
    const auto a64 = slab_rules_for({5, 10, 0}, Arch::Arm64);
    CHECK(*kmalloc_class_for(a64, 1) == 128);
    CHECK(*kmalloc_class_for(a64, 129) == 256);
    // arm64 3.x: 64; 6.5+: ARCH_KMALLOC_MINALIGN 8.
    CHECK(*kmalloc_class_for(slab_rules_for({3, 10, 0}, Arch::Arm64), 1) == 64);
    CHECK(*kmalloc_class_for(slab_rules_for({6, 6, 0}, Arch::Arm64), 1) == 8);
    // SLAB 2.6.20 i386 (L1 32): size-32 first, 96 and 192 present.
    const auto slab = slab_rules_for({2, 6, 20}, Arch::I386);
    CHECK(*kmalloc_class_for(slab, 1) == 32);
    CHECK(*kmalloc_class_for(slab, 65) == 96);
    CHECK(*kmalloc_class_for(slab, 131072) == 131072);
}

TEST_CASE("kmalloc rules: cache names per era", "[kmalloc]") {
    CHECK(kmalloc_cache_name(slab_rules_for({6, 1, 0}, Arch::X86_64), 1024, false) == "kmalloc-1k");
    CHECK(kmalloc_cache_name(slab_rules_for({6, 1, 0}, Arch::X86_64), 96, true) ==
          "dma-kmalloc-96");
    CHECK(kmalloc_cache_name(slab_rules_for({4, 19, 0}, Arch::X86_64), 1024, false) ==
          "kmalloc-1024");
    CHECK(kmalloc_cache_name(slab_rules_for({2, 6, 32}, Arch::X86_64), 64, true) ==
          "kmalloc_dma-64");
    CHECK(kmalloc_cache_name(slab_rules_for({2, 6, 20}, Arch::I386), 32, true) == "size-32(DMA)");
}

TEST_CASE("kmalloc rules: SLUB calculate_order", "[kmalloc]") {
    const auto r = slab_rules_for({6, 1, 0}, Arch::X86_64);
    // 1 CPU: min_objects = 4 * (fls(1) + 1) = 8.
    // kmalloc-8: get_order(8 * 8) = 0, no leftover -> order 0, 4096 / 8 = 512 objects.
    auto g = slab_geometry(r, 8, 1);
    CHECK(g.order == 0);
    CHECK(g.objects == 512);
    // kmalloc-192: get_order(1536) = 0; 4096 % 192 = 64 <= 4096/16 -> order 0, 21 objects.
    g = slab_geometry(r, 192, 1);
    CHECK(g.order == 0);
    CHECK(g.objects == 21);
    // kmalloc-4k: get_order(8 * 4096) = 3 -> 8 objects in 8 pages.
    g = slab_geometry(r, 4096, 1);
    CHECK(g.order == 3);
    CHECK(g.objects == 8);
    // kmalloc-8k: max_objects = 32768 / 8192 = 4 caps min_objects -> order 3, 4 objects;
    // the fallback s->min is get_order(8192) = 1 with 1 object.
    g = slab_geometry(r, 8192, 1);
    CHECK(g.order == 3);
    CHECK(g.objects == 4);
    CHECK(g.min_order == 1);
    CHECK(g.min_objects == 1);
    // set_min_partial(): ilog2(8192)/2 = 6; cpu_partial 2 objects -> DIV_ROUND_UP(4, 4) = 1.
    CHECK(g.min_partial == 6);
    CHECK(g.cpu_partial_slabs == 1);
    // 64 CPUs: min_objects = 4 * (7 + 1) = 32.
    // kmalloc-1k: get_order(32K) = 3 -> 32 objects; kmalloc-192: get_order(6144) = 1,
    // 8192 % 192 = 128 <= 512 -> 42 objects in 2 pages; kmalloc-96: order 0, 42 objects.
    CHECK(slub_calculate_order(r, 1024, 64) == 3);
    g = slab_geometry(r, 192, 64);
    CHECK(g.order == 1);
    CHECK(g.objects == 42);
    g = slab_geometry(r, 96, 64);
    CHECK(g.order == 0);
    CHECK(g.objects == 42);
    // The pre-6.8 loop gives the same for these (5.10).
    CHECK(slab_geometry(slab_rules_for({5, 10, 0}, Arch::X86_64), 192, 64).objects == 42);
}

TEST_CASE("kmalloc rules: SLAB cache_estimate (2.6.20 i386)", "[kmalloc]") {
    const auto r = slab_rules_for({2, 6, 20}, Arch::I386);
    // On-slab: struct slab 28 bytes + 4-byte bufctl per object, aligned to the line (32).
    // size-32: (4096 - 28) / 36 = 113; mgmt ALIGN(28 + 452, 32) = 480; 480 + 113*32 = 4096.
    auto g = slab_geometry(r, 32, 2);
    CHECK(g.objects == 113);
    CHECK(g.order == 0);
    CHECK(g.first_offset == 480);
    // size-64: 4068 / 68 = 59; size-96: 4068 / 100 = 40; size-128: 4068 / 132 = 30.
    CHECK(slab_geometry(r, 64, 2).objects == 59);
    CHECK(slab_geometry(r, 96, 2).objects == 40);
    CHECK(slab_geometry(r, 128, 2).objects == 30);
    // size-512 is off-slab (>= PAGE_SIZE / 8): 8 objects, first at the page start.
    g = slab_geometry(r, 512, 2);
    CHECK(g.objects == 8);
    CHECK(g.first_offset == 0);
    // size-8192: nothing fits order 0; order 1 holds one.
    g = slab_geometry(r, 8192, 2);
    CHECK(g.order == 1);
    CHECK(g.objects == 1);
    // enable_cpucache(): size-32 limit 120, batchcount 60, shared 8; size-8192 limit 8, shared 0.
    g = slab_geometry(r, 32, 2);
    CHECK(g.limit == 120);
    CHECK(g.batchcount == 60);
    CHECK(g.shared == 8);
    g = slab_geometry(r, 8192, 2);
    CHECK(g.limit == 8);
    CHECK(g.shared == 0);
}
