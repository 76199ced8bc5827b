#include "emu/scenario/interpreter.h"

#include <algorithm>
#include <fmt/format.h>

#include "devices/printk/printk.h"
#include "emu/scenario/constants.h"
#include "mm/machine_config.h"

namespace kmemu::scenario {

namespace {

ScriptError at(SourceLoc loc, std::string message) {
    return ScriptError{loc, std::move(message)};
}

} // namespace

Interpreter::Interpreter(const Program& program, const Registry& registry)
    : m_program(&program), m_registry(registry) {}

unsigned Interpreter::word_bits() const {
    return m_machine ? m_machine->layout().word_bits : 64;
}

u64 Interpreter::word_mask() const {
    unsigned bits = word_bits();
    return bits >= 64 ? ~u64{0} : (u64{1} << bits) - 1;
}

void Interpreter::write(std::string_view text) {
    if (m_out.size() + text.size() > kMaxTranscript)
        return; // run() reports the overflow after the statement
    m_out += text;
}

Error Interpreter::no_machine(std::string_view what) const {
    return make_error(ErrorKind::NotFound,
                      "{} needs a booted machine: put a `machine` line before this", what);
}

Value Interpreter::tag(Value v) const {
    if (v.is_int() && v.address)
        v.bits &= word_mask();
    return v;
}

int Interpreter::run() {
    auto checked = check(m_program->stmts, kTop);
    auto result = checked.is_error() ? std::move(checked) : exec_list(m_program->stmts);
    if (result.is_error()) {
        m_out += m_program->sources.render_error(result.error());
        return kScriptError;
    }
    return m_failed ? kExpectationFailed : kAllHeld;
}

int Interpreter::run_more(const Program& more) {
    m_program = &more;
    m_failed = false;
    return run();
}

// ---- the check before running: every call and command exists, in the right place ----

Outcome<void> Interpreter::check(const std::vector<StmtPtr>& list, unsigned where) {
    for (const auto& sp : list) {
        const Stmt& s = *sp;
        for (const auto& e : s.exprs)
            STRY(check_expr(*e, where));
        for (const auto& a : s.args)
            if (a.expr)
                STRY(check_expr(*a.expr, where));
        if (s.uid)
            STRY(check_expr(*s.uid, where));
        if (s.gid)
            STRY(check_expr(*s.gid, where));
        switch (s.kind) {
        case StmtKind::Kernel:
        case StmtKind::Process:
            if (where != kTop)
                return at(s.loc, fmt::format("a {} block cannot be inside a {} block",
                                             s.kind == StmtKind::Kernel ? "kernel" : "process",
                                             where == kKernel ? "kernel" : "process"));
            STRY(check(s.body, s.kind == StmtKind::Kernel ? kKernel : kProcess));
            break;
        case StmtKind::Repeat:
        case StmtKind::If:
            STRY(check(s.body, where));
            STRY(check(s.else_body, where));
            break;
        case StmtKind::Command: {
            const CommandSpec* c = m_registry.command(s.name);
            if (!c) {
                if (m_registry.function(s.name))
                    return at(s.name_loc, fmt::format("'{}' is a function: call it as {}(...)",
                                                      s.name, s.name));
                return at(s.name_loc, fmt::format("unknown statement or command '{}'", s.name));
            }
            if (!c->impl)
                return at(s.name_loc, fmt::format("the observation command '{}' is not available "
                                                  "yet in this build",
                                                  c->signature));
            if (!(c->where & where))
                return at(s.name_loc,
                          fmt::format("'{}' is only allowed in {}", s.name, where_names(c->where)));
            if (s.args.size() < c->min_args || s.args.size() > c->max_args)
                return at(s.name_loc,
                          fmt::format("'{}' takes {} argument{} ({}), not {}", s.name,
                                      c->min_args == c->max_args
                                          ? fmt::format("{}", c->min_args)
                                          : fmt::format("{} to {}", c->min_args, c->max_args),
                                      c->max_args == 1 ? "" : "s", c->signature, s.args.size()));
            break;
        }
        default:
            break;
        }
    }
    return {};
}

Outcome<void> Interpreter::check_expr(const Expr& e, unsigned where) {
    for (const auto& k : e.kids)
        if (k)
            STRY(check_expr(*k, where));
    if (e.kind != ExprKind::Call)
        return {};
    const FunctionSpec* f = m_registry.function(e.text);
    if (!f) {
        if (m_registry.command(e.text))
            return at(e.loc, fmt::format("'{}' is an observation command, not a function: write "
                                         "it as a statement",
                                         e.text));
        return at(e.loc, fmt::format("unknown function '{}'", e.text));
    }
    if (!f->impl)
        return at(e.loc,
                  fmt::format("the function {} is not available yet in this build", f->signature));
    if (!(f->where & where))
        return at(e.loc,
                  fmt::format("{} is only allowed in {}", f->signature, where_names(f->where)));
    size_t n = e.kids.size();
    if (n < f->min_args || (f->max_args != kVariadic && n > f->max_args))
        return at(e.loc,
                  fmt::format("{} takes {} argument{}, not {}", f->signature,
                              f->max_args == kVariadic ? fmt::format("at least {}", f->min_args)
                              : f->min_args == f->max_args
                                  ? fmt::format("{}", f->min_args)
                                  : fmt::format("{} to {}", f->min_args, f->max_args),
                              f->max_args == 1 ? "" : "s", n));
    return {};
}

// ---- statements ----

Outcome<void> Interpreter::exec_list(const std::vector<StmtPtr>& list) {
    for (const auto& s : list) {
        if (++m_steps > kMaxSteps)
            return at(s->loc, fmt::format("the script ran more than {} statements (is a repeat "
                                          "count too large?)",
                                          kMaxSteps));
        auto r = exec(*s);
        echo_console();
        STRY(std::move(r));
        if (m_out.size() >= kMaxTranscript)
            return at(s->loc, fmt::format("the transcript grew past {} bytes", kMaxTranscript));
    }
    return {};
}

Outcome<void> Interpreter::exec(const Stmt& s) {
    switch (s.kind) {
    case StmtKind::Machine:
        return exec_machine(s);
    case StmtKind::Kernel: {
        m_where = kKernel;
        auto r = exec_list(s.body);
        m_where = kTop;
        return r;
    }
    case StmtKind::Process:
        return exec_process(s);
    case StmtKind::Assign: {
        if (m_registry.constant(s.name))
            return at(s.name_loc, fmt::format("'{}' is a constant and cannot be assigned", s.name));
        Value v = STRY(eval(*s.exprs[0]));
        m_vars.insert_or_assign(s.name, std::move(v));
        return {};
    }
    case StmtKind::Expect:
        return exec_expect(s);
    case StmtKind::Print: {
        std::string line;
        for (const auto& e : s.exprs) {
            Value v = STRY(eval(*e));
            if (!line.empty())
                line += ' ';
            line += print_value(v);
        }
        write(line + "\n");
        return {};
    }
    case StmtKind::Eval:
        STRY(eval(*s.exprs[0]));
        return {};
    case StmtKind::Command:
        return exec_command(s);
    case StmtKind::Repeat: {
        i64 n = STRY(eval_int(*s.exprs[0], "a repeat count"));
        if (n < 0 || static_cast<u64>(n) > kMaxRepeat)
            return at(s.exprs[0]->loc,
                      fmt::format("repeat count {} is out of range (0 to {})", n, kMaxRepeat));
        for (i64 i = 0; i < n; ++i)
            STRY(exec_list(s.body));
        return {};
    }
    case StmtKind::If: {
        Value c = STRY(eval(*s.exprs[0]));
        return exec_list(c.truthy() ? s.body : s.else_body);
    }
    }
    return {};
}

Outcome<void> Interpreter::exec_machine(const Stmt& s) {
    if (m_machine || m_machine_at.line)
        return at(s.loc,
                  fmt::format("a script has one machine; it was set up at {}:{}",
                              m_program->sources.file(m_machine_at.file).name, m_machine_at.line));
    m_machine_at = s.loc;
    MachineConfig config;
    for (const auto& w : s.words) {
        auto r = apply_config_word(config, w.text);
        if (r.is_error())
            return at(w.loc, r.error().message());
    }
    auto valid = config.validate();
    if (valid.is_error()) {
        // Point at the word whose key the message names ("split: not allowed with ...").
        const std::string& msg = valid.error().message();
        SourceLoc loc = s.loc;
        std::string key = msg.substr(0, msg.find(':'));
        for (const auto& w : s.words)
            if (w.text.rfind(key + "=", 0) == 0)
                loc = w.loc;
        return at(loc, msg);
    }
    auto booted = Machine::boot(std::move(config));
    if (booted.is_error())
        return at(s.loc, fmt::format("the machine does not boot: {}", booted.error().message()));
    m_machine = booted.release_value();
    // The boot messages went to the console before the script; it echoes what comes after.
    m_console_seen = printk_log(m_machine->devices().kernel()).console_output().size();
    return {};
}

// What the machine's console printed since the last statement (printk at a level below
// console_loglevel, from kernel code or /dev/kmsg), as a terminal would show it.
void Interpreter::echo_console() {
    if (!m_machine)
        return;
    const std::string& console = printk_log(m_machine->devices().kernel()).console_output();
    if (console.size() > m_console_seen)
        write(std::string_view(console).substr(m_console_seen));
    m_console_seen = console.size();
}

Process* Interpreter::observer() {
    if (!m_machine)
        return nullptr;
    if (!m_observer)
        m_observer = &m_machine->spawn(ProcessOptions{"sh", Cred::root()});
    return m_observer;
}

Outcome<void> Interpreter::exec_process(const Stmt& s) {
    ScriptProcess* p = nullptr;
    if (!s.name.empty())
        for (auto& existing : m_processes)
            if (existing->name == s.name)
                p = existing.get();
    if (p && (s.uid || s.gid || s.caps_given))
        return at(s.loc, fmt::format("process '{}' already exists (created at line {}); its "
                                     "uid, gid and caps are given only when it is created",
                                     s.name, p->created_at.line));
    if (!p) {
        auto np = std::make_unique<ScriptProcess>();
        np->name = s.name;
        np->created_at = s.loc;
        auto id = [&](const ExprPtr& e, std::string_view what) -> Outcome<u64> {
            if (!e)
                return u64{0};
            i64 v = STRY(eval_int(*e, what));
            // uid_t is 32 bits and (uid_t)-1 means "no change" in the kernel's set*id calls.
            if (v < 0 || v >= 0xffffffffLL)
                return at(e->loc, fmt::format("{} {} is out of range (0 to 4294967294)", what, v));
            return static_cast<u64>(v);
        };
        np->uid = STRY(id(s.uid, "uid"));
        np->gid = STRY(id(s.gid, "gid"));
        // Like a real exec by root: uid 0 gets every capability, others none, unless caps= says.
        if (s.caps_given) {
            std::vector<unsigned> nums;
            for (const auto& c : s.caps) {
                if (c.text == "none" && s.caps.size() == 1)
                    break;
                if (c.text == "all" && s.caps.size() == 1) {
                    for (unsigned i = 0; i <= kCapLastCap; ++i)
                        nums.push_back(i);
                    break;
                }
                auto n = capability_number(c.text);
                if (!n)
                    return at(c.loc, fmt::format("unknown capability '{}' (e.g. CAP_SYS_RAWIO, "
                                                 "CAP_SYS_ADMIN; or caps=none, caps=all)",
                                                 c.text));
                nums.push_back(*n);
            }
            std::sort(nums.begin(), nums.end());
            nums.erase(std::unique(nums.begin(), nums.end()), nums.end());
            for (unsigned n : nums)
                np->caps.emplace_back(capability_name(n));
        } else if (np->uid == 0) {
            for (unsigned i = 0; i <= kCapLastCap; ++i)
                np->caps.emplace_back(capability_name(i));
        }
        m_processes.push_back(std::move(np));
        p = m_processes.back().get();
    }
    if (m_machine && !p->proc) {
        ProcessOptions o;
        o.comm = p->name.empty() ? "script" : p->name;
        o.cred = Cred::user(static_cast<u32>(p->uid), static_cast<u32>(p->gid));
        for (const auto& c : p->caps)
            if (auto n = capability_number(c))
                o.cred.cap_effective |= u64{1} << *n;
        p->proc = &m_machine->spawn(std::move(o));
    }
    m_where = kProcess;
    m_process = p;
    auto r = exec_list(s.body);
    m_where = kTop;
    m_process = nullptr;
    return r;
}

Outcome<void> Interpreter::exec_command(const Stmt& s) {
    const CommandSpec* c = m_registry.command(s.name);
    std::vector<Value> args;
    for (const auto& a : s.args) {
        // A bare word that names nothing (`layout svg "x.svg"`) reaches the command as bytes.
        if (!a.is_path && a.expr->kind == ExprKind::Name && !m_registry.constant(a.expr->text) &&
            m_vars.find(a.expr->text) == m_vars.end()) {
            args.push_back(Value::of_bytes(a.expr->text));
            continue;
        }
        args.push_back(a.is_path ? Value::of_bytes(a.path) : STRY(eval(*a.expr)));
    }
    auto r = c->impl(*this, args);
    if (r.is_error())
        return at(s.name_loc, r.error().message());
    return {};
}

Outcome<void> Interpreter::exec_expect(const Stmt& s) {
    std::vector<std::pair<std::string, std::string>> observed;
    m_observed = &observed;
    auto v = eval(*s.exprs[0]);
    m_observed = nullptr;
    if (v.is_error())
        return v.release_error();
    if (v.value().truthy())
        return {};
    m_failed = true;
    std::string line = fmt::format("{}:{}: expectation failed: {}",
                                   m_program->sources.file(s.loc.file).name, s.loc.line, s.text);
    if (!observed.empty()) {
        line += " (";
        for (size_t i = 0; i < observed.size(); ++i)
            line += fmt::format("{}{} = {}", i ? ", " : "", observed[i].first, observed[i].second);
        line += ")";
    }
    write(line + "\n");
    return {};
}

} // namespace kmemu::scenario

namespace kmemu::scenario {

ScriptRun run_script(std::string name, std::string text, const FileReader& reader) {
    Program program;
    auto parsed = parse_program(program, std::move(name), std::move(text), reader);
    if (parsed.is_error())
        return {kScriptError, program.sources.render_error(parsed.error())};
    Interpreter interp(program);
    int status = interp.run();
    return {status, interp.transcript()};
}

} // namespace kmemu::scenario
