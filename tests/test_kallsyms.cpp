// The kernel image's symbol table and /proc/kallsyms, per arch and era.
#include <catch2/catch.hpp>

#include <cctype>
#include <string>
#include <vector>

#include "emu/machine.h"
#include "emu/procfs_kallsyms.h"

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

char type_of(const Machine& m, const char* name) {
    const KernelSymbol* s = m.symbols().find(name);
    INFO(name);
    REQUIRE(s != nullptr);
    return s->type;
}

bool within(VirtAddr a, VirtAddr lo, VirtAddr hi) {
    return !(a < lo) && !(hi < a);
}

} // namespace

TEST_CASE("kallsyms: every listed symbol with its nm letter, per arch and version", "[kallsyms]") {
    struct Row {
        std::vector<std::string> words;
        const char* totalram;
        const char* printk;
        const char* fault;
        char fault_type;
        const char* vm_list;
        char vm_list_type;
        const char* pgd;
        char pgd_type;
        // 2.6.28-3.9 also have mm/vmalloc.c's static LIST_HEAD(vmap_area_list) ('d').
        bool static_vmap_area_list = false;
    };
    const std::vector<Row> rows = {
        // 2.6.32: totalram_pages/printk; vmlist (global up to 3.9, an uninitialised pointer).
        {{"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"},
         "totalram_pages",
         "printk",
         "do_page_fault",
         'T',
         "vmlist",
         'B',
         "swapper_pg_dir",
         'B',
         true},
        {{"arch=x86_64", "mem=512M", "kernel=2.6.32"},
         "totalram_pages",
         "printk",
         "do_page_fault",
         'T',
         "vmlist",
         'B',
         "init_level4_pgt",
         'D',
         true},
        // 4.4: vmap_area_list (3.10+, LIST_HEAD -> .data); x86_64 pgd still init_level4_pgt.
        {{"arch=x86_64", "mem=512M", "kernel=4.4"},
         "totalram_pages",
         "printk",
         "do_page_fault",
         'T',
         "vmap_area_list",
         'D',
         "init_level4_pgt",
         'D'},
        {{"arch=arm", "mem=512M", "kernel=4.4"},
         "totalram_pages",
         "printk",
         "do_page_fault",
         't',
         "vmap_area_list",
         'D',
         "swapper_pg_dir",
         'A'},
        {{"arch=arm64", "mem=512M", "kernel=4.4"},
         "totalram_pages",
         "printk",
         "do_page_fault",
         't',
         "vmap_area_list",
         'D',
         "swapper_pg_dir",
         'B'},
        // 5.10: _totalram_pages (5.0+), exc_page_fault (x86 5.8+), printk (until 5.15).
        {{"arch=x86_64", "mem=512M", "kernel=5.10"},
         "_totalram_pages",
         "printk",
         "exc_page_fault",
         'T',
         "vmap_area_list",
         'D',
         "init_top_pgt",
         'D'},
        {{"arch=i386", "mem=512M", "kernel=5.10"},
         "_totalram_pages",
         "printk",
         "exc_page_fault",
         'T',
         "vmap_area_list",
         'D',
         "swapper_pg_dir",
         'B'},
        {{"arch=arm", "mem=512M", "kernel=5.10"},
         "_totalram_pages",
         "printk",
         "do_page_fault",
         't',
         "vmap_area_list",
         'D',
         "swapper_pg_dir",
         'A'},
        // 6.1: _printk (5.15+); arm64 swapper_pg_dir after RO_DATA (4.18+).
        {{"arch=x86_64", "mem=512M", "kernel=6.1"},
         "_totalram_pages",
         "_printk",
         "exc_page_fault",
         'T',
         "vmap_area_list",
         'D',
         "init_top_pgt",
         'D'},
        {{"arch=arm64", "mem=512M", "kernel=6.1"},
         "_totalram_pages",
         "_printk",
         "do_page_fault",
         't',
         "vmap_area_list",
         'D',
         "swapper_pg_dir",
         'R'},
        {{"arch=arm", "mem=512M", "kernel=2.6.32"},
         "totalram_pages",
         "printk",
         "do_page_fault",
         't',
         "vmlist",
         'B',
         "swapper_pg_dir",
         'A',
         true},
    };
    for (const Row& row : rows) {
        auto m = boot(row.words);
        INFO(row.words[0] << " " << row.words.back());
        const KernelImage& img = m->layout().image;
        for (const char* n : {"_text", "_stext", "_etext"})
            CHECK(type_of(*m, n) == 'T');
        for (const char* n : {"__start_rodata", "__end_rodata", "linux_banner"})
            CHECK(type_of(*m, n) == 'R');
        for (const char* n : {"_sdata", "_edata", "__init_begin", "__init_end", "init_mm",
                              "jiffies", "jiffies_64", row.totalram})
            CHECK(type_of(*m, n) == 'D');
        for (const char* n :
             {"__bss_start", "__bss_stop", "_end", "high_memory", "max_low_pfn", "max_pfn"})
            CHECK(type_of(*m, n) == 'B');
        CHECK(type_of(*m, "vmap_area_root") == 'b');
        for (const char* n : {"start_kernel", row.printk, "__kmalloc", "kfree", "vmalloc", "vfree"})
            CHECK(type_of(*m, n) == 'T');
        CHECK(type_of(*m, row.fault) == row.fault_type);
        CHECK(type_of(*m, row.vm_list) == row.vm_list_type);
        CHECK(type_of(*m, row.pgd) == row.pgd_type);
        CHECK(m->symbols().pgd_name() == row.pgd);
        // The names of other eras are absent.
        for (const char* other : {"totalram_pages", "_totalram_pages", "printk", "_printk",
                                  "vmlist", "vmap_area_list"}) {
            bool expected = std::string(other) == row.totalram ||
                            std::string(other) == row.printk || std::string(other) == row.vm_list ||
                            (row.static_vmap_area_list && std::string(other) == "vmap_area_list");
            CHECK((m->symbols().find(other) != nullptr) == expected);
        }
        if (row.static_vmap_area_list)
            CHECK(type_of(*m, "vmap_area_list") == 'd');

        // Markers are the KernelImage's.
        CHECK(m->symbols().find("_text")->address == img.text);
        CHECK(m->symbols().find("_etext")->address == img.etext);
        CHECK(m->symbols().find("__start_rodata")->address == img.start_rodata);
        CHECK(m->symbols().find("__bss_stop")->address == img.bss_stop);
        CHECK(m->symbols().find("_end")->address == img.end);

        // Each non-marker symbol lies in its section; word variables are word aligned and
        // jiffies_64 8-byte aligned; the page directory is page aligned.
        const VirtAddr text_lo = std::max(img.text, img.stext);
        const u64 word = is_32bit(m->config().arch) ? 4 : 8;
        for (const KernelSymbol& s : m->symbols().sorted()) {
            INFO(s.name);
            if (s.name.rfind('_', 0) == 0 && s.name != "__kmalloc" && s.name != "_printk" &&
                s.name != "_totalram_pages")
                continue; // section markers
            if (s.name == "start_kernel") {
                CHECK(within(s.address, img.init_begin, img.init_end));
                continue;
            }
            switch (std::toupper(s.type)) {
            case 'T':
                CHECK(within(s.address, text_lo, img.etext));
                break;
            case 'R':
                CHECK(within(s.address, img.start_rodata, img.end_rodata));
                break;
            case 'D':
                if (!(s.address.get() >= 0xffffffffff600000)) // 2.6 x86_64 vsyscall jiffies
                    CHECK(within(s.address, img.sdata, img.edata));
                break;
            case 'B':
                CHECK(within(s.address, img.bss_start, img.end));
                break;
            case 'A':
                CHECK(s.address < std::min(img.text, img.stext));
                break;
            default:
                FAIL("unexpected type");
            }
            if (s.size == word)
                CHECK(s.address.get() % word == 0);
        }
        CHECK(m->symbols().find("jiffies_64")->address.get() % 8 == 0);
        CHECK(m->symbols().find(row.pgd)->address.get() % m->layout().page_size() == 0);
    }
}

TEST_CASE("kallsyms: x86_64 6.1 text, root and restricted", "[kallsyms]") {
    auto m = boot({"arch=x86_64", "mem=512M", "kernel=6.1"});
    // Image (layout): _text 0xffffffff81000000, .text 0xe00000, rodata 2 MiB aligned at
    // _etext 0xffffffff81e00000 + 0x600000 = 0xffffffff82400000 = _sdata, .data 0x2a0000 ->
    // _edata = __init_begin 0xffffffff826a0000, .init 0x3f0000 -> 0xffffffff82a90000 =
    // __bss_start, .bss 0x5c0000 -> _end 0xffffffff83050000.
    // Functions at n/256 of .text (0xe000 per 256th): _printk 12 -> 0xa8000, exc_page_fault
    // 20 -> 0x118000, __kmalloc 48 -> 0x2a0000, kfree 50 -> 0x2bc000, vmalloc 56 -> 0x310000,
    // vfree 57 -> 0x31e000; start_kernel 64/256 of .init: 0x3f00 * 64 = 0xfc000 past
    // __init_begin.
    // The head_64.S tables take the first 7 pages of .data (init_top_pgt, level3_kernel_pgt,
    // level2_kernel_pgt, level2_fixmap_pgt, 2 level1_fixmap_pgt, __vsyscall_page); init_mm at
    // +0x7000, jiffies_64 +0x7800, _totalram_pages +0x7840, vmap_area_list +0x7880. .bss vars
    // at __bss_start + 0x40.. .
    // Ties sort by fewer leading underscores, then name (scripts/kallsyms).
    const std::string expected = "ffffffff81000000 T _stext\n"
                                 "ffffffff81000000 T _text\n"
                                 "ffffffff810a8000 T _printk\n"
                                 "ffffffff81118000 T exc_page_fault\n"
                                 "ffffffff812a0000 T __kmalloc\n"
                                 "ffffffff812bc000 T kfree\n"
                                 "ffffffff81310000 T vmalloc\n"
                                 "ffffffff8131e000 T vfree\n"
                                 "ffffffff81e00000 T _etext\n"
                                 "ffffffff81e00000 R __start_rodata\n"
                                 "ffffffff81e00100 R linux_banner\n"
                                 "ffffffff82400000 D init_top_pgt\n"
                                 "ffffffff82400000 D _sdata\n"
                                 "ffffffff82400000 R __end_rodata\n"
                                 "ffffffff82407000 D init_mm\n"
                                 "ffffffff82407800 D jiffies\n"
                                 "ffffffff82407800 D jiffies_64\n"
                                 "ffffffff82407840 D _totalram_pages\n"
                                 "ffffffff82407880 D vmap_area_list\n"
                                 "ffffffff826a0000 D _edata\n"
                                 "ffffffff826a0000 D __init_begin\n"
                                 "ffffffff8279c000 T start_kernel\n"
                                 "ffffffff82a90000 B __bss_start\n"
                                 "ffffffff82a90000 D __init_end\n"
                                 "ffffffff82a90040 B high_memory\n"
                                 "ffffffff82a90080 B max_low_pfn\n"
                                 "ffffffff82a900c0 B max_pfn\n"
                                 "ffffffff82a90140 b vmap_area_root\n"
                                 "ffffffff83050000 B _end\n"
                                 "ffffffff83050000 B __bss_stop\n";
    const KernelImageRules& r = m->profile().kernel_image;
    CHECK(render_kallsyms(m->symbols(), r, KallsymsReader::root()) == expected);

    // Unprivileged, kptr_restrict=1 (reference case 52): every address is 16 zeros.
    KallsymsReader user{false, true, 1, 2};
    std::string hidden = render_kallsyms(m->symbols(), r, user);
    CHECK(hidden.rfind("0000000000000000 T _stext\n0000000000000000 T _text\n", 0) == 0);
    CHECK(hidden.size() == expected.size());
    CHECK(hidden.find("ffffffff") == std::string::npos);
    CHECK(hidden.substr(hidden.size() - 30) == "0000000000000000 B __bss_stop\n");
}

TEST_CASE("kallsyms: i386 2.6.32 always shows real addresses", "[kallsyms]") {
    auto m = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    // Image: _text 0xc1000000, _stext +0x2b0 (head text), _etext = 0xc10002b0 + 0x33d5e1 =
    // 0xc133d891; rodata page aligned 0xc133e000 .. 0xc1433000 = _sdata; _edata 0xc1433000 +
    // 0x92f64 = 0xc14c5f64; init 0xc14c6000 .. 0xc1520000 = __bss_start; bss_stop
    // 0xc1520000 + 0x6f0c4 = 0xc158f0c4; _end = 0xc1590000 + brk 0x151000 = 0xc16e1000.
    // .text 256th = 0x33d5e1 / 256 = 0x33d5 (13269): printk 12 -> 159228 = 0x26dfc, aligned
    // 0x26df0 + 0xc10002b0 = 0xc10270a0; do_page_fault 20 -> 0x40ca4 -> 0xc1040f50;
    // __kmalloc 48 -> 0x9b7f0 -> 0xc109baa0; kfree 50 -> 0xa1f9a -> 0xc10a2240; vmalloc 56 ->
    // 0xb5698 -> 0xc10b5940; vfree 57 -> 0xb8a6d -> 0xc10b8d10. start_kernel: 0x5a000/256 *
    // 64 = 0x16800 -> 0xc14dc800. swapper_pg_dir at __bss_start (2 pages), bss vars from
    // 0xc1522000.
    const std::string expected = "c1000000 T _text\n"
                                 "c10002b0 T _stext\n"
                                 "c10270a0 T printk\n"
                                 "c1040f50 T do_page_fault\n"
                                 "c109baa0 T __kmalloc\n"
                                 "c10a2240 T kfree\n"
                                 "c10b5940 T vmalloc\n"
                                 "c10b8d10 T vfree\n"
                                 "c133d891 T _etext\n"
                                 "c133e000 R __start_rodata\n"
                                 "c133e100 R linux_banner\n"
                                 "c1433000 D init_mm\n"
                                 "c1433000 D _sdata\n"
                                 "c1433000 R __end_rodata\n"
                                 "c1433800 D jiffies\n"
                                 "c1433800 D jiffies_64\n"
                                 "c1433840 D totalram_pages\n"
                                 "c1433880 d vmap_area_list\n"
                                 "c14c5f64 D _edata\n"
                                 "c14c6000 D __init_begin\n"
                                 "c14dc800 T start_kernel\n"
                                 "c1520000 B swapper_pg_dir\n"
                                 "c1520000 B __bss_start\n"
                                 "c1520000 D __init_end\n"
                                 "c1522040 B high_memory\n"
                                 "c1522080 B max_low_pfn\n"
                                 "c15220c0 B max_pfn\n"
                                 "c1522100 B vmlist\n"
                                 "c1522140 b vmap_area_root\n"
                                 "c158f0c4 B __bss_stop\n"
                                 "c16e1000 B _end\n";
    const KernelImageRules& r = m->profile().kernel_image;
    CHECK(render_kallsyms(m->symbols(), r, KallsymsReader::root()) == expected);
    // No kptr_restrict before 2.6.38: "%0*lx" for everybody.
    CHECK(render_kallsyms(m->symbols(), r, KallsymsReader{false, false, 2, 3}) == expected);
}

TEST_CASE("kallsyms: who sees addresses, per era", "[kallsyms]") {
    const KallsymsReader root_k1{true, true, 1, 2};
    const KallsymsReader setuid_k1{true, false, 1, 2};
    const KallsymsReader user_k0{false, true, 0, 2};
    const KallsymsReader user_k0_perf1{false, true, 0, 1};
    const KallsymsReader root_k2{true, true, 2, -1};
    // 4.4: %pK at read time. kptr_restrict 0 -> real for anyone; 1 -> CAP_SYSLOG and
    // euid==uid/egid==gid; 2 -> never.
    const KernelImageRules r44 = kernel_image_rules_for({4, 4, 0}, Arch::X86_64);
    CHECK(kallsyms_shows_addresses(r44, user_k0));
    CHECK(kallsyms_shows_addresses(r44, root_k1));
    CHECK_FALSE(kallsyms_shows_addresses(r44, setuid_k1));
    CHECK_FALSE(kallsyms_shows_addresses(r44, KallsymsReader{false, true, 1, 2}));
    CHECK_FALSE(kallsyms_shows_addresses(r44, root_k2));
    // 5.10: kallsyms_show_value(). kptr_restrict 0 needs perf_event_paranoid <= 1 unless
    // CAP_SYSLOG; 1 needs CAP_SYSLOG (credentials not rechecked); 2 never.
    const KernelImageRules r510 = kernel_image_rules_for({5, 10, 0}, Arch::Arm64);
    CHECK_FALSE(kallsyms_shows_addresses(r510, user_k0));
    CHECK(kallsyms_shows_addresses(r510, user_k0_perf1));
    CHECK(kallsyms_shows_addresses(r510, root_k1));
    CHECK(kallsyms_shows_addresses(r510, setuid_k1));
    CHECK(kallsyms_shows_addresses(r510, KallsymsReader{true, true, 0, 2}));
    CHECK_FALSE(kallsyms_shows_addresses(r510, root_k2));
    // 2.6.32: always.
    CHECK(kallsyms_shows_addresses(kernel_image_rules_for({2, 6, 32}, Arch::Arm), root_k2));

    // 32-bit width: 8 zeros.
    auto m = boot({"arch=arm", "mem=512M", "kernel=5.10"});
    std::string hidden = render_kallsyms(m->symbols(), m->profile().kernel_image, KallsymsReader{});
    // ARM 5.10: swapper_pg_dir = KERNEL_RAM_VADDR 0xc0008000 - 0x4000, absolute, first.
    CHECK(hidden.rfind("00000000 A swapper_pg_dir\n00000000 T _text\n", 0) == 0);
    std::string shown =
        render_kallsyms(m->symbols(), m->profile().kernel_image, KallsymsReader::root());
    CHECK(shown.rfind("c0004000 A swapper_pg_dir\nc0008000 T _text\nc0009000 T _stext\n", 0) == 0);
}

TEST_CASE("kallsyms: set_address moves a symbol and keeps the order", "[kallsyms]") {
    auto m = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    KernelSymbols& t = m->symbols();
    // Move swapper_pg_dir to the last page before _end (0xc16e1000 - 0x1000).
    REQUIRE_FALSE(t.set_address("swapper_pg_dir", VirtAddr(0xc16e0000)).is_error());
    const KernelSymbol* s = t.find("swapper_pg_dir");
    CHECK(s->address == VirtAddr(0xc16e0000));
    CHECK(s->phys == PhysAddr(0x16e0000)); // __pa: minus PAGE_OFFSET
    CHECK(t.sorted().back().name == "_end");
    CHECK(t.sorted()[t.sorted().size() - 2].name == "swapper_pg_dir");

    auto bad = t.set_address("swapper_pg_dir", VirtAddr(0xc16e1000));
    REQUIRE(bad.is_error());
    CHECK(bad.error().message() ==
          "symbol swapper_pg_dir cannot move to 0xc16e1000: kernel-image symbols must lie in "
          "[0xc0f00000, 0xc16e1000) (the image, or up to 1 MiB below _text)");
    auto missing = t.set_address("no_such_symbol", VirtAddr(0xc1000000));
    REQUIRE(missing.is_error());
    CHECK(missing.error().message() == "no kernel symbol named 'no_such_symbol'");
}
