// init_mm in the image: pgd = swapper_pg_dir, mm_users 2, mm_count 1, no VMAs, at the offsets
// of each era's struct mm_struct for the arch; arm64's swapper_pg_dir symbol is the table TTBR1
// points at.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "emu/machine.h"
#include "mm/kernel_image/init_mm.h"

using namespace kmemu;

namespace {

std::unique_ptr<Machine> boot(std::vector<std::string> words) {
    auto config = parse_config_words(words);
    REQUIRE(config);
    auto m = Machine::boot(config.release_value());
    if (m.is_error())
        FAIL(m.error().message());
    return m.release_value();
}

u64 load(Machine& m, VirtAddr a, unsigned bytes) {
    const mmu::Access rd{paging::AccessType::Read, paging::Privilege::Supervisor};
    if (bytes == 4) {
        auto v = m.kernel_mmu().load<u32>(a, rd);
        REQUIRE(v.ok());
        return v.value();
    }
    auto v = m.kernel_mmu().load<u64>(a, rd);
    REQUIRE(v.ok());
    return v.value();
}

} // namespace

TEST_CASE("init_mm: offsets of pgd, mm_users, mm_count, map_count per era and arch", "[init_mm]") {
    struct Row {
        const char* arch;
        const char* kernel;
        u32 pgd, users, count, map_count;
        std::optional<u32> mt_flags; // 6.1+: ma_flags of the maple tree
    };
    // Hand-computed from the struct definitions (see init_mm.h for the sources).
    const std::vector<Row> rows = {
        // 2.6.32: mmap, mm_rb, mmap_cache, get_unmapped_area, unmap_area, mmap_base,
        // task_size, cached_hole_size, free_area_cache, pgd.
        {"arch=i386", "2.6.32", 36, 40, 44, 48, {}},
        {"arch=x86_64", "2.6.32", 72, 80, 84, 88, {}},
        // 3.10: + mmap_legacy_base, highest_vm_end.
        {"arch=i386", "3.10", 44, 48, 52, 56, {}},
        {"arch=x86_64", "3.10", 88, 96, 100, 104, {}},
        // 4.4: u32 vmacache_seqnum, no unmap_area/cache fields, nr_ptes (+ nr_pmds with 3+
        // levels) before map_count.
        {"arch=i386", "4.4", 32, 36, 40, 48, {}},
        {"arch=i386-pae", "4.4", 32, 36, 40, 52, {}},
        {"arch=x86_64", "4.4", 64, 72, 76, 96, {}},
        // 4.19: u64 seqnum (4-byte aligned on i386), x86_64 compat bases, pgtables_bytes.
        {"arch=i386", "4.19", 36, 40, 44, 52, {}},
        {"arch=x86_64", "4.19", 80, 88, 92, 104, {}},
        {"arch=arm64", "4.19", 64, 72, 76, 88, {}},
        // 5.10: membarrier_state, has_pinned, write_protect_seq.
        {"arch=i386", "5.10", 36, 44, 48, 64, {}},
        {"arch=x86_64", "5.10", 80, 92, 96, 120, {}},
        {"arch=arm", "5.10", 36, 44, 48, 64, {}},
        // 6.1: the maple tree (24 bytes on 64-bit, 12 on 32-bit), no highest_vm_end.
        {"arch=i386", "6.1", 28, 36, 40, 48, 8},
        {"arch=x86_64", "6.1", 72, 84, 88, 104, 16},
        {"arch=arm64", "6.1", 56, 68, 72, 88, 16},
        // 6.8: mm_count alone in the first cache line; mm_cid pointers after mm_users.
        {"arch=x86_64", "6.8", 136, 148, 0, 176, 80},
    };
    for (const Row& r : rows) {
        INFO(r.arch << " " << r.kernel);
        auto m = boot({r.arch, "mem=512M", std::string("kernel=") + r.kernel});
        const unsigned w = is_32bit(m->config().arch) ? 4 : 8;
        const InitMmLayout l = init_mm_layout_for(m->profile().version, m->config().arch,
                                                  m->kernel_page_tables().format().level_count);
        CHECK(l.pgd == r.pgd);
        CHECK(l.mm_users == r.users);
        CHECK(l.mm_count == r.count);
        CHECK(l.map_count == r.map_count);
        const KernelSymbol* mm = m->symbols().find("init_mm");
        REQUIRE(mm != nullptr);
        CHECK(mm->size == r.map_count + 4);
        const VirtAddr base = mm->address;
        // Read back through init_mm's own page tables.
        CHECK(load(*m, base.offset(r.pgd), w) == m->kernel_page_tables().swapper_pg_dir().get());
        CHECK(load(*m, base.offset(r.pgd), w) ==
              m->symbols().find(m->symbols().pgd_name())->address.get());
        CHECK(load(*m, base.offset(r.users), 4) == 2);
        CHECK(load(*m, base.offset(r.count), 4) == 1);
        CHECK(load(*m, base.offset(r.map_count), 4) == 0);
        if (r.mt_flags) {
            // MTREE_INIT_EXT(mm_mt, MM_MT_FLAGS, ...): ALLOC_RANGE | USE_RCU | LOCK_EXTERN.
            CHECK(load(*m, base.offset(*r.mt_flags), 4) == 0x303);
            CHECK(load(*m, base.offset(*r.mt_flags - w), w) == 0); // ma_root: no VMAs
        } else {
            CHECK(load(*m, base, w) == 0);           // mmap
            CHECK(load(*m, base.offset(w), w) == 0); // mm_rb.rb_node
        }
    }
}

TEST_CASE("init_mm: arm64 swapper_pg_dir is the table TTBR1 uses, per era", "[init_mm]") {
    struct Row {
        const char* kernel;
        bool in_rodata; // 4.18+ vmlinux.lds.S: before __init_begin
    };
    for (const Row& r : {Row{"kernel=4.4", false}, Row{"kernel=4.17", false},
                         Row{"kernel=4.18", true}, Row{"kernel=6.1", true}}) {
        INFO(r.kernel);
        auto m = boot({"arch=arm64", "mem=512M", r.kernel});
        const KernelSymbol* s = m->symbols().find("swapper_pg_dir");
        REQUIRE(s != nullptr);
        const KernelPageTables& k = m->kernel_page_tables();
        CHECK(s->address == k.swapper_pg_dir());
        CHECK(s->phys == k.root_pa());
        CHECK(k.mmu().root_high == k.root_pa());
        // reserved_pg_dir (init_mm's empty TTBR0 table) is the page below it.
        CHECK(k.mmu().root == k.root_pa().offset_down(m->layout().page_size()));
        const KernelImage& img = m->layout().image;
        const u64 page = m->layout().page_size();
        if (r.in_rodata) {
            CHECK(s->address == img.init_begin.offset_down(page));
            CHECK(s->type == 'R');
        } else {
            // <= 4.17: after .bss, the last page before _end.
            CHECK(s->address == img.end.offset_down(page));
            CHECK(s->type == 'B');
        }
        // init_mm.pgd agrees.
        const InitMmLayout l =
            init_mm_layout_for(m->profile().version, Arch::Arm64, k.format().level_count);
        const mmu::Access rd{paging::AccessType::Read, paging::Privilege::Supervisor};
        auto pgd =
            m->kernel_mmu().load<u64>(m->symbols().find("init_mm")->address.offset(l.pgd), rd);
        REQUIRE(pgd.ok());
        CHECK(pgd.value() == s->address.get());
    }
}

TEST_CASE("init_mm: kernel variables never share a frame with a page table", "[init_mm]") {
    // x86_64 .data starts with the 6-8 head_64.S table pages; i386 PAE .bss with swapper_pg_dir
    // and one swapper_pg_pmd page per kernel GiB (3 with split=2G, 4 with split=1G).
    const std::vector<std::vector<std::string>> machines = {
        {"arch=x86_64", "mem=512M", "kernel=6.1"},
        {"arch=x86_64", "mem=512M", "kernel=4.4"},
        {"arch=x86_64-la57", "mem=512M", "kernel=6.1"},
        {"arch=i386-pae", "mem=512M", "split=2G", "kernel=6.1"},
        {"arch=i386-pae", "mem=512M", "split=1G", "kernel=6.1"},
        {"arch=i386", "mem=512M", "kernel=2.6.32"},
        {"arch=arm", "mem=512M", "kernel=5.10"},
        {"arch=arm64", "mem=512M", "kernel=6.1"},
    };
    for (const auto& words : machines) {
        INFO(words[0] << " " << words[words.size() - 1] << " " << words[words.size() - 2]);
        auto m = boot(words);
        const auto& frames = m->kernel_page_tables().table_frames();
        const u64 ps = m->layout().page_shift;
        for (const char* name : {"init_mm", "jiffies_64", "high_memory", "max_pfn",
                                 m->profile().kernel_image.totalram_name}) {
            INFO(name);
            const KernelSymbol* s = m->symbols().find(name);
            REQUIRE(s != nullptr);
            const Pfn pfn(s->phys.get() >> ps);
            CHECK(std::find(frames.begin(), frames.end(), pfn) == frames.end());
        }
        // And the variables read back through the (intact) kernel mapping.
        const unsigned w = is_32bit(m->config().arch) ? 4 : 8;
        CHECK(load(*m, m->symbols().find("high_memory")->address, w) ==
              m->layout().high_memory.get());
        CHECK(load(*m, m->symbols().find("max_pfn")->address, w) == m->layout().max_pfn.get());
    }
}
