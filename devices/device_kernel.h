// DeviceKernel: the machine as drivers and the VFS reach it — the kernel's state in mm/, the
// char-device registry, the device nodes and procfs, the virtual clock and per-driver state.
// emu's Machine builds one at boot and enters a DeviceKernelScope around every syscall and
// kernel call, so driver code finds "the current kernel" and `current` the way kernel code does
// (DESIGN.md decision 10); no global state is shared between machines.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <typeindex>

#include "devices/task.h"
#include "mm/types.h"

namespace kmemu {

struct MachineConfig;
struct KernelProfile;
struct Layout;
class PhysicalMemory;
class IomemTree;
class DirectMap;
class VmapSpace;
class KernelVreadBacking;
class PageAllocator;
class KernelPageTables;
namespace mmu {
class AddressSpaceMmu;
}
class CharDevices;
class DeviceNodes;
class ProcFs;

// The pieces a DeviceKernel points at; all outlive it (the Machine owns them).
struct DeviceKernelParts {
    const MachineConfig* config = nullptr;
    const KernelProfile* profile = nullptr;
    const Layout* layout = nullptr;
    PhysicalMemory* phys = nullptr;
    const IomemTree* iomem = nullptr;
    const DirectMap* direct_map = nullptr;
    VmapSpace* vmap = nullptr;
    KernelVreadBacking* vread = nullptr;
    PageAllocator* pages = nullptr;
    KernelPageTables* kernel_page_tables = nullptr;
    mmu::AddressSpaceMmu* kernel_mmu = nullptr;
    CharDevices* chrdevs = nullptr;
    DeviceNodes* nodes = nullptr;
    ProcFs* procfs = nullptr;
    std::function<u64()> now_ns; // virtual time since boot
};

class DeviceKernel {
  public:
    explicit DeviceKernel(DeviceKernelParts parts) : m(std::move(parts)) {}
    DeviceKernel(const DeviceKernel&) = delete;
    DeviceKernel& operator=(const DeviceKernel&) = delete;

    [[nodiscard]] const MachineConfig& config() const { return *m.config; }
    [[nodiscard]] const KernelProfile& profile() const { return *m.profile; }
    [[nodiscard]] const Layout& layout() const { return *m.layout; }
    [[nodiscard]] PhysicalMemory& phys() const { return *m.phys; }
    [[nodiscard]] const IomemTree& iomem() const { return *m.iomem; }
    [[nodiscard]] const DirectMap& direct_map() const { return *m.direct_map; }
    [[nodiscard]] VmapSpace& vmap() const { return *m.vmap; }
    [[nodiscard]] KernelVreadBacking& vread() const { return *m.vread; }
    [[nodiscard]] PageAllocator& pages() const { return *m.pages; }
    [[nodiscard]] KernelPageTables& kernel_page_tables() const { return *m.kernel_page_tables; }
    [[nodiscard]] mmu::AddressSpaceMmu& kernel_mmu() const { return *m.kernel_mmu; }
    [[nodiscard]] CharDevices& chrdevs() const { return *m.chrdevs; }
    [[nodiscard]] DeviceNodes& nodes() const { return *m.nodes; }
    [[nodiscard]] ProcFs& procfs() const { return *m.procfs; }
    [[nodiscard]] u64 now_ns() const { return m.now_ns ? m.now_ns() : 0; }

    // Per-machine state of one driver (what a C driver keeps in its globals), made on first use
    // as T(DeviceKernel&) and destroyed with the machine.
    template <typename T>
    T& state() {
        auto it = m_states.find(std::type_index(typeid(T)));
        if (it == m_states.end()) {
            auto holder = std::make_unique<Holder<T>>(*this);
            T& ref = holder->value;
            m_states.emplace(std::type_index(typeid(T)), std::move(holder));
            return ref;
        }
        return static_cast<Holder<T>&>(*it->second).value;
    }

  private:
    struct HolderBase {
        virtual ~HolderBase() = default;
    };
    template <typename T>
    struct Holder final : HolderBase {
        explicit Holder(DeviceKernel& k) : value(k) {}
        T value;
    };
    DeviceKernelParts m;
    std::map<std::type_index, std::unique_ptr<HolderBase>> m_states;
};

// Thrown when driver code runs outside a DeviceKernelScope (a usage error of the API).
class NoCurrentKernel : public std::logic_error {
  public:
    NoCurrentKernel() : std::logic_error("driver API used outside a DeviceKernelScope") {}
};

// The current kernel and task on this thread. Scopes nest and restore what was current.
class DeviceKernelScope {
  public:
    DeviceKernelScope(DeviceKernel& kernel, Task* task);
    ~DeviceKernelScope();
    DeviceKernelScope(const DeviceKernelScope&) = delete;
    DeviceKernelScope& operator=(const DeviceKernelScope&) = delete;

  private:
    DeviceKernel* m_prev_kernel;
    Task* m_prev_task;
};

[[nodiscard]] DeviceKernel& current_kernel(); // throws NoCurrentKernel
[[nodiscard]] DeviceKernel* current_kernel_or_null() noexcept;
[[nodiscard]] Task* current_task() noexcept; // nullptr: kernel context (no process)

// capable(cap): the current task's effective set; kernel context has every capability.
[[nodiscard]] bool capable(int cap);
// signal_pending(current) / fatal_signal_pending(current).
[[nodiscard]] bool signal_pending_current();
[[nodiscard]] bool fatal_signal_pending_current();

} // namespace kmemu
