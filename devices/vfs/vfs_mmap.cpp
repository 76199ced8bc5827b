#include "devices/vfs/vfs_mmap.h"

#include "mm/layout.h"

namespace kmemu {

void vfs_get_file(struct file* f) {
    if (OpenFile* of = OpenFile::of(f))
        of->get_mapping_ref();
}

void vfs_fput(struct file* f) {
    if (OpenFile* of = OpenFile::of(f))
        of->put_mapping_ref();
}

i64 vfs_mmap(OpenFile& of, MmStruct& mm, u64 addr, u64 len, int prot, int flags,
             unsigned long pgoff) {
    struct file* f = &of.f;
    const struct file_operations* fop = f->f_op;
    MmapFile m;
    m.file = f;
    m.readable = (f->f_mode & FMODE_READ) != 0;
    m.writable = (f->f_mode & FMODE_WRITE) != 0;
    // file_mmap_size_max (4.17+): regular files MAX_LFS_FILESIZE; files with unsigned
    // offsets (FMODE_UNSIGNED_OFFSET, 6.12+ FOP_UNSIGNED_OFFSET) unlimited; other devices
    // ULONG_MAX.
    const bool regular = f->f_inode && (f->f_inode->i_mode & kS_IFMT) == kS_IFREG;
    const bool unsigned_offset =
        (f->f_mode & FMODE_UNSIGNED_OFFSET) || (fop && (fop->fop_flags & FOP_UNSIGNED_OFFSET));
    const bool word32 = of.kernel().layout().word_bits == 32;
    if (regular)
        m.max_size = word32 ? (u64{1} << 43) - 1 : ~u64{0} >> 1; // MAX_LFS_FILESIZE
    else if (unsigned_offset)
        m.max_size = 0;
    else
        m.max_size = word32 ? 0xffffffffULL : ~u64{0};
    if (fop && fop->mmap)
        m.mmap = [f, fop](vm_area_struct& vma) { return fop->mmap(f, &vma); };
    if (fop && fop->get_unmapped_area) {
        m.get_unmapped_area = [f, fop, word32](u64 a, u64 l, unsigned long pg, int fl) -> i64 {
            const unsigned long r = fop->get_unmapped_area(f, static_cast<unsigned long>(a),
                                                           static_cast<unsigned long>(l), pg,
                                                           static_cast<unsigned long>(fl));
            // An error comes back as -errno in an unsigned long (IS_ERR_VALUE).
            const u64 top = word32 ? 0xffffffffULL : ~u64{0};
            const u64 v = static_cast<u64>(r) & top;
            if (v > top - 4095)
                return -static_cast<i64>(top - v + 1);
            return static_cast<i64>(v);
        };
    }
    return mm.mmap_file(VirtAddr(addr), len, prot, flags, pgoff, m);
}

} // namespace kmemu
