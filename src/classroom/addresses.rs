//! Addresses people can open a server at. A board bound to `0.0.0.0`
//! (every interface) is not at `http://0.0.0.0:8080/`, which other machines
//! cannot open: it is at this machine's name and at each of its interface
//! addresses. Both are read from the system, as `hostname` and
//! `ip address` do (gethostname(2), getifaddrs(3)): no packet is sent, no
//! name is looked up.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Hosts (`name`, `ip`, `[ipv6]`) at which a server listening on `addr`
/// can be opened: loopback and specific addresses as they are; for an
/// unspecified one, the host name then each interface address of that
/// family (IPv6 `[::]` takes both), loopback and link-local left out.
pub fn hosts(addr: SocketAddr) -> Vec<String> {
    let ip = addr.ip();
    if !ip.is_unspecified() {
        return vec![host(ip)];
    }
    let mut out: Vec<String> = hostname().into_iter().collect();
    for a in interface_addresses() {
        let wanted = match (ip, a) {
            (IpAddr::V4(_), IpAddr::V6(_)) => false,
            (_, IpAddr::V4(v4)) => !v4.is_loopback() && !v4.is_link_local(),
            (_, IpAddr::V6(v6)) => !v6.is_loopback() && !v6.is_unicast_link_local(),
        };
        let h = host(a);
        if wanted && !out.contains(&h) {
            out.push(h);
        }
    }
    if out.is_empty() {
        // Nothing but loopback here: at least this machine can open that.
        out.push(host(match ip {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        }));
    }
    out
}

fn host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// This machine's name (gethostname(2)), if it has a usable one.
fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for `buf.len()` bytes; gethostname writes
    // at most that many and we read up to the first NUL within it.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = std::str::from_utf8(&buf[..end]).ok()?.trim();
    let usable = !name.is_empty()
        && name != "localhost"
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    usable.then(|| name.to_string())
}

/// Every address of every interface that is up (getifaddrs(3)).
fn interface_addresses() -> Vec<IpAddr> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we own until freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return out;
    }
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned, not yet
        // freed; `ifa_addr` (when not null) points at a sockaddr whose
        // family says which sockaddr_* it is.
        unsafe {
            let ifa = &*cur;
            let up = ifa.ifa_flags & (libc::IFF_UP as libc::c_uint) != 0;
            if up && !ifa.ifa_addr.is_null() {
                match i32::from((*ifa.ifa_addr).sa_family) {
                    libc::AF_INET => {
                        let sin = &*ifa.ifa_addr.cast::<libc::sockaddr_in>();
                        out.push(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                            sin.sin_addr.s_addr,
                        ))));
                    }
                    libc::AF_INET6 => {
                        let sin6 = &*ifa.ifa_addr.cast::<libc::sockaddr_in6>();
                        out.push(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)));
                    }
                    _ => {}
                }
            }
            cur = ifa.ifa_next;
        }
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_address_is_printed_as_it_is_and_every_interface_is_named() {
        assert_eq!(hosts("127.0.0.1:8080".parse().unwrap()), ["127.0.0.1"]);
        assert_eq!(hosts("[::1]:8080".parse().unwrap()), ["[::1]"]);
        let any = hosts("0.0.0.0:8080".parse().unwrap());
        assert!(!any.is_empty());
        assert!(!any.iter().any(|h| h == "0.0.0.0"), "{any:?}");
        assert!(
            !any.iter().any(|h| h.starts_with('[')),
            "IPv4 only: {any:?}"
        );
    }
}
