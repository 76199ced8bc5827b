#include "mm/paging/long_descriptor.h"

namespace kmemu::paging {

using namespace arm_long;

namespace {
// The top OA bit stored in 47:.. for each addressing.
unsigned oa_top(LongAddressing a) {
    return a == LongAddressing::Lpae40 ? 39u : 47u;
}
} // namespace

u64 long_output_address(u64 raw, LongAddressing addressing, unsigned output_shift) {
    // LPAE: read 47:12 so that set bits 47:40 show up as an over-wide address (address size
    // fault); the architectural field is 39:12.
    const unsigned top = addressing == LongAddressing::Lpae40 ? 47u : oa_top(addressing);
    u64 oa = raw & bit_mask(top, output_shift);
    if (addressing == LongAddressing::Granule64K)
        oa |= OA_51_48_64K.get(raw) << 48;
    return oa;
}

ErrorOr<u64> encode_long(const LongDescriptor& d, LongAddressing addressing,
                         unsigned output_shift) {
    const u64 a = d.address.get();
    u64 allowed = bit_mask(oa_top(addressing), output_shift);
    if (addressing == LongAddressing::Granule64K)
        allowed |= bit_mask(51, 48);
    if ((a & ~allowed) != 0)
        return make_error(ErrorKind::Internal,
                          "long descriptor address {:#x}: must be aligned to 2^{} and fit the "
                          "output-address field",
                          d.address, output_shift);
    if (!ATTR_INDX.fits(d.attr_indx) || !AP.fits(d.ap) || !SH.fits(d.sh) ||
        !SOFTWARE.fits(d.software) || !AP_TABLE.fits(d.ap_table))
        return make_error(ErrorKind::Internal,
                          "long descriptor: AttrIndx 0..7, AP 0..3, SH 0..3, software 0..15, "
                          "APTable 0..3");
    u64 raw = a & bit_mask(47, 0);
    if (addressing == LongAddressing::Granule64K)
        raw = OA_51_48_64K.put(raw, a >> 48);
    const bool leaf_fields = d.attr_indx || d.ns || d.ap || d.sh || d.af || d.ng || d.gp || d.dbm ||
                             d.contiguous || d.pxn || d.xn || d.software;
    const bool table_fields = d.pxn_table || d.xn_table || d.ap_table || d.ns_table;
    switch (d.type) {
    case LongDescriptorType::Invalid:
        return make_error(ErrorKind::Internal, "long descriptor: nothing to encode for Invalid");
    case LongDescriptorType::Table:
        if (leaf_fields)
            return make_error(ErrorKind::Internal,
                              "long descriptor: a table descriptor has only table attributes");
        raw |= TYPE_TABLE;
        raw = with_bit(raw, PXN_TABLE, d.pxn_table);
        raw = with_bit(raw, XN_TABLE, d.xn_table);
        raw = AP_TABLE.put(raw, d.ap_table);
        raw = with_bit(raw, NS_TABLE, d.ns_table);
        return raw;
    case LongDescriptorType::Block:
    case LongDescriptorType::Page:
        if (table_fields)
            return make_error(ErrorKind::Internal,
                              "long descriptor: table attributes on a block or page");
        raw |= d.type == LongDescriptorType::Block ? TYPE_BLOCK : TYPE_TABLE;
        raw = ATTR_INDX.put(raw, d.attr_indx);
        raw = with_bit(raw, NS, d.ns);
        raw = AP.put(raw, d.ap);
        raw = SH.put(raw, d.sh);
        raw = with_bit(raw, AF, d.af);
        raw = with_bit(raw, NG, d.ng);
        raw = with_bit(raw, GP, d.gp);
        raw = with_bit(raw, DBM, d.dbm);
        raw = with_bit(raw, CONT, d.contiguous);
        raw = with_bit(raw, PXN, d.pxn);
        raw = with_bit(raw, XN, d.xn);
        raw = SOFTWARE.put(raw, d.software);
        return raw;
    }
    return make_error(ErrorKind::Internal, "long descriptor: bad type");
}

LongDescriptor decode_long(u64 raw, LongAddressing addressing, unsigned output_shift,
                           bool last_level) {
    LongDescriptor d;
    if (!test(raw, VALID))
        return d;
    const bool bit1 = test(raw, TABLE_OR_PAGE);
    d.type = bit1 ? (last_level ? LongDescriptorType::Page : LongDescriptorType::Table)
                  : (last_level ? LongDescriptorType::Invalid : LongDescriptorType::Block);
    if (d.type == LongDescriptorType::Invalid)
        return d;
    d.address = PhysAddr(long_output_address(raw, addressing, output_shift));
    if (d.type == LongDescriptorType::Table) {
        d.pxn_table = test(raw, PXN_TABLE);
        d.xn_table = test(raw, XN_TABLE);
        d.ap_table = static_cast<u8>(AP_TABLE.get(raw));
        d.ns_table = test(raw, NS_TABLE);
        return d;
    }
    d.attr_indx = static_cast<u8>(ATTR_INDX.get(raw));
    d.ns = test(raw, NS);
    d.ap = static_cast<u8>(AP.get(raw));
    d.sh = static_cast<u8>(SH.get(raw));
    d.af = test(raw, AF);
    d.ng = test(raw, NG);
    d.gp = test(raw, GP);
    d.dbm = test(raw, DBM);
    d.contiguous = test(raw, CONT);
    d.pxn = test(raw, PXN);
    d.xn = test(raw, XN);
    d.software = static_cast<u8>(SOFTWARE.get(raw));
    return d;
}

} // namespace kmemu::paging
