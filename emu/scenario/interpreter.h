// The scenario interpreter: runs a parsed Program against one Machine and writes a transcript.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "emu/machine.h"
#include "emu/scenario/parser.h"
#include "emu/scenario/registry.h"

namespace kmemu::scenario {

// A process a script named or created with `process { }`. Later parts attach the emulated
// process (fd table, mm) to it; for now it holds the credentials.
struct ScriptProcess {
    std::string name; // empty for an anonymous process
    u64 uid = 0;
    u64 gid = 0;
    std::vector<std::string> caps; // effective capabilities, CAP_* names in number order
    SourceLoc created_at;
    Process* proc = nullptr; // the machine's process, made when the block first runs
};

// Exit statuses of `kmemu run` (and of Interpreter::run).
enum RunStatus : int { kAllHeld = 0, kExpectationFailed = 1, kScriptError = 2 };

// Bounds that make every script finish (DESIGN.md decision 7).
constexpr u64 kMaxSteps = 1'000'000;         // statements executed per script
constexpr u64 kMaxRepeat = 1'000'000;        // count of one repeat
constexpr size_t kMaxTranscript = 64u << 20; // bytes of output

class Interpreter {
  public:
    Interpreter(const Program& program, const Registry& registry = standard_registry());

    // Run every statement; output goes to transcript(). Returns a RunStatus.
    int run();
    [[nodiscard]] const std::string& transcript() const { return m_out; }
    // Run another program's statements on this interpreter's machine, variables and processes
    // (the shell: one program per input). `more` must outlive the interpreter's use of it; the
    // status is that of these statements alone.
    int run_more(const Program& more);
    // The transcript so far, emptied (the shell prints each input's output as it comes).
    [[nodiscard]] std::string take_transcript() { return std::exchange(m_out, {}); }
    [[nodiscard]] const Registry& registry() const { return m_registry; }

    // ---- for function and command implementations ----
    [[nodiscard]] Machine* machine() const { return m_machine.get(); }
    // The machine's word size (64 before a machine is booted).
    [[nodiscard]] unsigned word_bits() const;
    [[nodiscard]] u64 word_mask() const;
    // Append to the transcript.
    void write(std::string_view text);
    [[nodiscard]] unsigned where() const { return m_where; }
    [[nodiscard]] ScriptProcess* current_process() const { return m_process; }
    // Set a script variable (syscalls set `errno`).
    void set_variable(std::string name, Value v) {
        m_vars.insert_or_assign(std::move(name), std::move(v));
    }
    // A root process for the observation commands (cat, hexdump): what a shell would run them
    // as. Made on first use; nullptr without a machine.
    [[nodiscard]] Process* observer();
    // An error for a function that needs a booted machine.
    [[nodiscard]] Error no_machine(std::string_view what) const;

  private:
    Outcome<void> exec_list(const std::vector<StmtPtr>& list);
    Outcome<void> exec(const Stmt& s);
    Outcome<void> exec_machine(const Stmt& s);
    Outcome<void> exec_process(const Stmt& s);
    Outcome<void> exec_command(const Stmt& s);
    Outcome<void> exec_expect(const Stmt& s);
    Outcome<Value> eval(const Expr& e);
    Outcome<Value> eval_name(const Expr& e);
    Outcome<Value> eval_call(const Expr& e);
    Outcome<Value> eval_unary(const Expr& e);
    Outcome<Value> eval_binary(const Expr& e);
    Outcome<Value> eval_index(const Expr& e);
    Outcome<i64> eval_int(const Expr& e, std::string_view what);
    Value tag(Value v) const; // truncate an address to the word size
    Outcome<void> check(const std::vector<StmtPtr>& list, unsigned where);
    Outcome<void> check_expr(const Expr& e, unsigned where);

    const Program* m_program;
    const Registry& m_registry;
    std::string m_out;
    std::unique_ptr<Machine> m_machine;
    SourceLoc m_machine_at;
    std::map<std::string, Value, std::less<>> m_vars;
    std::vector<std::unique_ptr<ScriptProcess>> m_processes;
    ScriptProcess* m_process = nullptr;
    unsigned m_where = kTop;
    u64 m_steps = 0;
    bool m_failed = false;
    Process* m_observer = nullptr;
    size_t m_console_seen = 0;
    void echo_console();
    // While an `expect` is evaluated: the names and calls seen, with their values, in order.
    std::vector<std::pair<std::string, std::string>>* m_observed = nullptr;
};

// Parse and run one script text (named `name`, includes read through `reader`). Returns the
// status and the transcript (with the rendered error on a script error).
struct ScriptRun {
    int status = kAllHeld;
    std::string transcript;
};
[[nodiscard]] ScriptRun run_script(std::string name, std::string text, const FileReader& reader);

} // namespace kmemu::scenario
