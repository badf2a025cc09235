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

/// This machine's name (uname(2)'s nodename, as gethostname(2) gives it),
/// if it has a usable one.
fn hostname() -> Option<String> {
    let uts = rustix::system::uname();
    let name = uts.nodename().to_str().ok()?.trim();
    let usable = !name.is_empty()
        && name != "localhost"
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    usable.then(|| name.to_string())
}

/// Every address of every interface that is up and running (getifaddrs(3)
/// through `if-addrs`).
fn interface_addresses() -> Vec<IpAddr> {
    if_addrs::get_if_addrs()
        .map(|all| {
            all.into_iter()
                .filter(if_addrs::Interface::is_oper_up)
                .map(|i| i.ip())
                .collect()
        })
        .unwrap_or_default()
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
