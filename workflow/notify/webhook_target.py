"""Where a webhook may point: public http(s) addresses only, unless the operator allows a network.

An alliance's manager sets the URL; the service POSTs to it from inside the operator's network. Without these
checks a manager could make the service call its own admin interfaces, a cloud's metadata service
(169.254.169.254) or anything else only the server can reach (server-side request forgery).

Checked when the URL is set (`WebhookPolicy.target`): the scheme, no credentials in it, and a host written as an
address (also the forms a resolver reads as IPv4: 2130706433, 0x7f.1, 0177.0.0.1, 127.1; IPv4 in IPv6) or named
`localhost` must not be internal. Checked again at each delivery (`WebhookPolicy.refusal`, used by the channel):
every address the name resolves to, and the connection goes to the checked address itself.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Names every resolver answers with loopback (RFC 6761), whatever DNS says.
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SAFE = "/%:@!$&'()*+,;=-._~"  # RFC 3986's characters of a path, and "%" of what is encoded already
# The numbers inet_aton reads as IPv4: decimal, octal (leading 0) or hex (0x) parts, one to four of them.
_LEGACY_IPV4 = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}")


class TargetRefused(Exception):
    """Why this URL, or an address it leads to, may not be a webhook."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (lower case, without brackets): the Host header and the TLS server name
    port: int
    path: str  # path and query, as sent in the request line
    address: IPAddress | None  # the host, when it is written as an address

    @property
    def origin(self) -> str:
        """scheme://host:port, what messages and logs name (never the path, which may carry a token)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def ip_literal(host: str) -> IPAddress | None:
    """The address a host stands for when written as one (in any form a resolver accepts), else None."""
    host = host.lower().rstrip(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not _LEGACY_IPV4.fullmatch(host):
        return None
    values = []
    for part in host.split("."):
        try:
            if part.startswith("0x"):
                values.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                values.append(int(part, 8))
            else:
                values.append(int(part))
        except ValueError:  # "08": not a number to inet_aton either
            return None
    *leading, last = values
    if any(v > 255 for v in leading) or last >= 256 ** (4 - len(leading)):
        return None
    number = last
    for index, value in enumerate(leading):
        number += value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def _kind(address: IPAddress) -> str | None:
    """What makes an address internal, or None for a public one."""
    checks = (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
              ("link-local", address.is_link_local), ("multicast", address.is_multicast),
              ("private", address.is_private), ("reserved", address.is_reserved),
              ("not public", not address.is_global))
    return next((kind for kind, hit in checks if hit), None)


def _embedded(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to (mapped, 6to4, NAT64)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class WebhookPolicy:
    allowed: tuple[Network, ...] = ()

    def _allowed(self, address: IPAddress) -> bool:
        return any(address in network for network in self.allowed)

    def refusal(self, address: IPAddress) -> str | None:
        """Why a webhook may not connect to this address, or None if it may."""
        embedded = _embedded(address)
        if self._allowed(address) or (embedded is not None and self._allowed(embedded)):
            return None
        for candidate in (address, embedded):
            if candidate is not None and (kind := _kind(candidate)) is not None:
                return (f"{address} is a {kind} address; webhooks go to public addresses only "
                        "(an operator may allow a network: [delivery] webhook_allowed_networks)")
        return None

    def target(self, url: str) -> Target:
        """The parts of an acceptable webhook URL; TargetRefused says what is wrong with it."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:  # "http://[::1": a bracket never closed; a port out of range
            raise TargetRefused("must be an http:// or https:// address") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TargetRefused("must be an http:// or https:// address")
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise TargetRefused("must not contain a user name or password (user:password@): the request is signed")
        host = parts.hostname.lower()
        if not host.isascii():
            try:  # the name as DNS and the Host header carry it (xn--…); IDNA maps "１２７。０。０。１" to 127.0.0.1
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                raise TargetRefused("must name a valid host") from None
        address = ip_literal(host)
        name = host.rstrip(".")
        this_machine = address is None and (name in _LOOPBACK_NAMES or name.endswith(".localhost"))
        if this_machine and (why := self.refusal(ipaddress.IPv4Address("127.0.0.1"))) is not None:
            raise TargetRefused(f"{host} is this machine: {why}")
        if address is not None and (why := self.refusal(address)) is not None:
            raise TargetRefused(why)
        # The request line is ASCII: other characters percent-encoded, what is encoded already left as it is.
        path, query = quote(parts.path or "/", safe=_SAFE), quote(parts.query, safe=_SAFE + "?")
        return Target(scheme=parts.scheme, host=host, port=port or (443 if parts.scheme == "https" else 80),
                      path=f"{path}?{query}" if query else path, address=address)
