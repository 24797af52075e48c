// bindInNetns: create and bind a socket inside another network namespace, on the calling
// thread, and return its file descriptor.
//
// Why an addon: a socket belongs to the namespace it was created in, for its whole life, so
// the daemon only has to *be* in the container's namespace for the few microseconds between
// socket() and bind(). A helper process per container costs ~150 ms (see DESIGN.md,
// "Embedded DNS"); this costs ~0.2 ms.
//
// Why it is safe in a multithreaded process (STYLE.md §8): setns(CLONE_NEWNET) changes only
// the calling thread. Between the two setns() calls this code makes nothing but plain
// syscalls: no JavaScript runs, nothing is queued to libuv's thread pool, no lock is taken.
// If the thread cannot be switched back it would go on running JavaScript in a container's
// namespace, so the process aborts instead.

#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

constexpr const char* kOwnNetns = "/proc/thread-self/ns/net";

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

struct SocketResult {
  int fd;               // >= 0 on success
  int err;              // errno when fd < 0
  const char* syscall;  // the call that failed
};

// Runs while the thread is inside the target namespace: syscalls only.
SocketResult OpenBoundSocket(bool tcp, const sockaddr_in& addr) {
  int type = (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC;
  int fd = socket(AF_INET, type, 0);
  if (fd < 0) return {-1, errno, "socket"};
  // TCP only: lets a restarted daemon listen again while old connections sit in TIME_WAIT. On
  // UDP it would let a second socket bind the same address and silently take part of the queries.
  int one = 1;
  if (tcp && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    int err = errno;
    close(fd);
    return {-1, err, "setsockopt"};
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd);
    return {-1, err, "bind"};
  }
  if (tcp && listen(fd, SOMAXCONN) != 0) {
    int err = errno;
    close(fd);
    return {-1, err, "listen"};
  }
  return {fd, 0, nullptr};
}

Napi::Value ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& what) {
  const char* code = uv_err_name(-err);
  std::string message = std::string(syscall) + " " + what + ": " + std::strerror(err) + " (" + code + ")";
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, syscall));
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value ThrowType(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

// bindInNetns(nsPath: string, kind: 'udp' | 'tcp', ip: string, port: number): number
Napi::Value BindInNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 4 || !info[0].IsString() || !info[1].IsString() || !info[2].IsString() ||
      !info[3].IsNumber()) {
    return ThrowType(env, "bindInNetns(nsPath: string, kind: 'udp'|'tcp', ip: string, port: number)");
  }
  const std::string nsPath = info[0].As<Napi::String>().Utf8Value();
  const std::string kind = info[1].As<Napi::String>().Utf8Value();
  const std::string ip = info[2].As<Napi::String>().Utf8Value();
  const double port = info[3].As<Napi::Number>().DoubleValue();
  if (kind != "udp" && kind != "tcp") return ThrowType(env, "kind must be 'udp' or 'tcp'");
  if (!(port >= 0 && port <= 65535) || port != static_cast<double>(static_cast<int>(port))) {
    return ThrowType(env, "port must be an integer in 0..65535");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) return ThrowType(env, "not an IPv4 address: " + ip);
  const std::string where = kind + " " + ip + ":" + std::to_string(static_cast<int>(port)) + " in " + nsPath;

  Fd target(open(nsPath.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target.ok()) return ThrowErrno(env, errno, "open", nsPath);
  Fd home(open(kOwnNetns, O_RDONLY | O_CLOEXEC));
  if (!home.ok()) return ThrowErrno(env, errno, "open", kOwnNetns);

  if (setns(target.get(), CLONE_NEWNET) != 0) return ThrowErrno(env, errno, "setns", nsPath);
  const SocketResult result = OpenBoundSocket(kind == "tcp", addr);
  if (setns(home.get(), CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "weft_netns: cannot return to the daemon's network namespace (%s); aborting\n",
                 std::strerror(errno));
    std::abort();
  }

  if (result.fd < 0) return ThrowErrno(env, result.err, result.syscall, where);
  return Napi::Number::New(env, result.fd);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("bindInNetns", Napi::Function::New(env, BindInNetns, "bindInNetns"));
  return exports;
}

}  // namespace

NODE_API_MODULE(weft_netns, Init)
