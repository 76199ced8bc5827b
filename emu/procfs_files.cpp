// The procfs entries of a machine, each rendered for the task that opens it.
#include "devices/mem/zero_mmap.h"
#include "devices/vfs/vfs.h"
#include "emu/device_layer.h"
#include "emu/machine.h"
#include "emu/procfs_iomem.h"
#include "emu/procfs_kallsyms.h"
#include "emu/procfs_maps.h"
#include "emu/procfs_meminfo.h"
#include "emu/procfs_mm.h"
#include "emu/procfs_pagemap.h"
#include "emu/procfs_slabinfo.h"
#include "emu/procfs_smaps.h"
#include "emu/procfs_vmallocinfo.h"
#include "mm/shmem/shmem.h"

namespace kmemu {

namespace {

// Who reads an address-bearing file (kallsyms, modules), and the sysctls in force.
KallsymsReader kallsyms_reader(const Machine& m, const Task& t) {
    KallsymsReader r;
    r.cap_syslog = t.cred.has_cap(CAP_SYSLOG);
    r.creds_unchanged = t.cred.uid == t.cred.euid && t.cred.gid == t.cred.egid;
    r.kptr_restrict = static_cast<int>(m.config().kptr_restrict.value_or(0));
    return r;
}

// The maps/smaps names of file-backed VMAs: a /dev node opened through the VFS shows its path,
// the devtmpfs superblock's device and the node's inode. kmemu gives devtmpfs the anonymous
// device 00:06 in every version (kernel-semantics §5.1 "e.g. 00:06", as a 6.1 machine shows
// it; the number is set by mount order, not by the version) and the inode numbers DeviceNodes
// assigns (1025 upwards, in devtmpfs creation order).
MapsSources maps_sources() {
    MapsSources s;
    s.file = [](const vm_area_struct& vma) -> std::optional<MapsFileInfo> {
        MapsFileInfo info;
        if (const ShmemObject* shm = shmem_object_of(vma)) {
            // shmem_zero_setup's unlinked file on the internal shmem mount.
            info.path = "/" + shm->name + " (deleted)";
            info.dev_major = kShmemDevMajor;
            info.dev_minor = kShmemDevMinor;
            info.inode = shm->ino;
            return info;
        }
        const OpenFile* of = OpenFile::of(vma.vm_file);
        if (of == nullptr)
            return std::nullopt;
        info.path = of->path();
        info.dev_major = 0;
        info.dev_minor = 6;
        info.inode = of->f.f_inode ? of->f.f_inode->i_ino : 0;
        return info;
    };
    return s;
}

} // namespace

void register_procfs_files(Machine& m, ProcFs& procfs) {
    Machine* mp = &m;
    // r_show: CAP_SYS_ADMIN decides whether addresses are shown (rules per version).
    procfs.add("iomem", 0444, [mp](const Task& t) {
        return render_proc_iomem(mp->iomem(), t.cred.has_cap(CAP_SYS_ADMIN));
    });
    procfs.add("kallsyms", 0444, [mp](const Task& t) {
        return render_kallsyms(mp->symbols(), mp->profile().kernel_image, kallsyms_reader(*mp, t));
    });
    // proc_create("modules", 0, ...): S_IRUGO. The core address follows the kallsyms rule of
    // the version: " 0x%p" up to 2.6.37, %pK from 2.6.38, kallsyms_show_value() from 4.15
    // (m_show / modules_open).
    procfs.add("modules", 0444, [mp](const Task& t) {
        return mp->modules().render_proc_modules(
            kallsyms_shows_addresses(mp->profile().kernel_image, kallsyms_reader(*mp, t)));
    });
    procfs.add("meminfo", 0444, [mp](const Task&) { return render_meminfo(*mp); });
    procfs.add("devices", 0444, [mp](const Task&) {
        return mp->devices().chrdevs().render_proc_devices() + "\nBlock devices:\n";
    });
    // /proc/vmallocinfo is S_IRUSR (root only) since it appeared in 2.6.28.
    procfs.add("vmallocinfo", 0400, [mp](const Task&) {
        auto text = render_vmallocinfo(mp->vmap_space());
        return text ? text.release_value() : std::string();
    });
    procfs.add("slabinfo", 0400, [mp](const Task&) { return render_slabinfo(mp->kmalloc()); });
    procfs.add("buddyinfo", 0444,
               [mp](const Task&) { return render_buddyinfo(mp->page_allocator()); });
    // /proc/PID/maps (show_map): every reader may read it here (the kernel's ptrace-mode check
    // for other users' processes is not modelled).
    procfs.add_pid_entry("maps", 0444, [mp](const Task&, int pid) -> std::optional<std::string> {
        Process* p = mp->process(pid);
        if (!p || !p->mm())
            return std::nullopt;
        return render_proc_maps(*p->mm(), maps_sources());
    });
    // /proc/PID/smaps (S_IRUGO, show_smap; 2.6.14+), same access rule as maps.
    procfs.add_pid_entry("smaps", 0444, [mp](const Task&, int pid) -> std::optional<std::string> {
        Process* p = mp->process(pid);
        if (!p || !p->mm() || !smaps_rules_for(p->mm()->rules()).exists)
            return std::nullopt;
        return render_proc_smaps(*p->mm(), maps_sources());
    });
    // /proc/PID/pagemap (S_IRUSR, owned by the task's euid as proc_pid_make_inode sets it;
    // 2.6.25+): binary, with pagemap_read and mem_lseek.
    procfs.add_pid_binary_entry("pagemap", 0400, [mp](const Task&, int pid) {
        ProcFs::PidBinary out;
        out.file = open_proc_pagemap(*mp, pid);
        if (Process* p = mp->process(pid)) {
            out.uid = p->cred().euid;
            out.gid = p->cred().egid;
        }
        return out;
    });
    procfs.add("zoneinfo", 0400,
               [mp](const Task&) { return render_zoneinfo(mp->page_allocator()); });
}

} // namespace kmemu
