/**
 * The words of pcap-filter(7): keywords, named numeric constants, and the
 * protocol, ether-type and service names tcpdump resolves. Values are the
 * protocol numbers of the IANA registries (as in a Debian /etc/protocols and
 * /etc/services) and of libpcap's documentation.
 */

/** Keywords, each under its canonical name (aliases map to one name). */
export const KEYWORDS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    // protocol qualifiers
    ether: 'link', link: 'link', ppp: 'link', slip: 'link', fddi: 'link', tr: 'link', wlan: 'link',
    ip: 'ip', ip6: 'ip6', arp: 'arp', rarp: 'rarp', tcp: 'tcp', udp: 'udp', sctp: 'sctp',
    icmp: 'icmp', icmp6: 'icmp6', igmp: 'igmp', igrp: 'igrp', pim: 'pim', vrrp: 'vrrp', carp: 'carp',
    ah: 'ah', esp: 'esp', atalk: 'atalk', aarp: 'aarp', decnet: 'decnet', lat: 'lat', sca: 'sca',
    moprc: 'moprc', mopdl: 'mopdl', iso: 'iso', esis: 'esis', 'es-is': 'esis', isis: 'isis',
    'is-is': 'isis', l1: 'l1', l2: 'l2', iih: 'iih', lsp: 'lsp', snp: 'snp', csnp: 'csnp', psnp: 'psnp',
    clnp: 'clnp', stp: 'stp', ipx: 'ipx', netbeui: 'netbeui', radio: 'radio',
    // direction qualifiers
    src: 'src', dst: 'dst', ra: 'ra', ta: 'ta', addr1: 'addr1', address1: 'addr1', addr2: 'addr2',
    address2: 'addr2', addr3: 'addr3', address3: 'addr3', addr4: 'addr4', address4: 'addr4',
    // address-type qualifiers
    host: 'host', net: 'net', port: 'port', portrange: 'portrange', gateway: 'gateway',
    proto: 'proto', protochain: 'protochain',
    // operators and the rest of the grammar
    mask: 'mask', and: 'and', or: 'or', not: 'not', len: 'len', length: 'len',
    less: 'less', greater: 'greater', byte: 'byte', broadcast: 'broadcast', multicast: 'multicast',
    vlan: 'vlan', mpls: 'mpls', pppoed: 'pppoed', pppoes: 'pppoes', geneve: 'geneve',
    inbound: 'inbound', outbound: 'outbound', ifindex: 'ifindex', lane: 'lane', llc: 'llc',
    metac: 'metac', bcc: 'bcc', oam: 'oam', oamf4: 'oamf4', oamf4ec: 'oamf4ec', oamf4sc: 'oamf4sc',
    sc: 'sc', ilmic: 'ilmic', vpi: 'vpi', vci: 'vci', connectmsg: 'connectmsg', metaconnect: 'metaconnect',
    on: 'ifname', ifname: 'ifname', rnr: 'rnr', rulenum: 'rnr', reason: 'reason', rset: 'rset',
    ruleset: 'rset', srnr: 'srnr', subrulenum: 'srnr', action: 'action', type: 'type', subtype: 'subtype',
    dir: 'direction', direction: 'direction', fisu: 'fisu', lssu: 'lssu', lsu: 'lssu', sio: 'sio',
    opc: 'opc', dpc: 'dpc', sls: 'sls', hfisu: 'hfisu', hlssu: 'hlssu', hsio: 'hsio', hopc: 'hopc',
    hdpc: 'hdpc', hsls: 'hsls',
  }),
);

/** Named constants usable wherever a number is (`tcp[tcpflags] & tcp-syn != 0`). */
export const CONSTANTS: ReadonlyMap<string, number> = new Map(
  Object.entries({
    icmptype: 0, icmpcode: 1,
    'icmp-echoreply': 0, 'icmp-unreach': 3, 'icmp-sourcequench': 4, 'icmp-redirect': 5, 'icmp-echo': 8,
    'icmp-routeradvert': 9, 'icmp-routersolicit': 10, 'icmp-timxceed': 11, 'icmp-paramprob': 12,
    'icmp-tstamp': 13, 'icmp-tstampreply': 14, 'icmp-ireq': 15, 'icmp-ireqreply': 16,
    'icmp-maskreq': 17, 'icmp-maskreply': 18,
    icmp6type: 0, icmp6code: 1,
    'icmp6-destinationunreach': 1, 'icmp6-packettoobig': 2, 'icmp6-timeexceeded': 3,
    'icmp6-parameterproblem': 4, 'icmp6-echo': 128, 'icmp6-echoreply': 129,
    'icmp6-multicastlistenerquery': 130, 'icmp6-multicastlistenerreportv1': 131,
    'icmp6-multicastlistenerdone': 132, 'icmp6-routersolicit': 133, 'icmp6-routeradvert': 134,
    'icmp6-neighborsolicit': 135, 'icmp6-neighboradvert': 136, 'icmp6-redirect': 137,
    'icmp6-routerrenum': 138, 'icmp6-nodeinformationquery': 139, 'icmp6-nodeinformationresponse': 140,
    'icmp6-ineighbordiscoverysolicit': 141, 'icmp6-ineighbordiscoveryadvert': 142,
    'icmp6-multicastlistenerreportv2': 143, 'icmp6-homeagentdiscoveryrequest': 144,
    'icmp6-homeagentdiscoveryreply': 145, 'icmp6-mobileprefixsolicit': 146,
    'icmp6-mobileprefixadvert': 147, 'icmp6-certpathsolicit': 148, 'icmp6-certpathadvert': 149,
    'icmp6-multicastrouteradvert': 151, 'icmp6-multicastroutersolicit': 152,
    'icmp6-multicastrouterterm': 153,
    tcpflags: 13, 'tcp-fin': 0x01, 'tcp-syn': 0x02, 'tcp-rst': 0x04, 'tcp-push': 0x08,
    'tcp-ack': 0x10, 'tcp-urg': 0x20, 'tcp-ece': 0x40, 'tcp-cwr': 0x80,
  }),
);

/** IP protocol names (`ip proto \udp`, `proto gre`), as a Debian /etc/protocols names them. */
export const IP_PROTOCOLS: ReadonlyMap<string, number> = new Map(
  Object.entries({
    ip: 0, IP: 0, hopopt: 0, HOPOPT: 0, icmp: 1, ICMP: 1, igmp: 2, IGMP: 2, ipencap: 4, 'IP-ENCAP': 4,
    tcp: 6, TCP: 6, egp: 8, EGP: 8, igp: 9, IGP: 9, udp: 17, UDP: 17, dccp: 33, DCCP: 33,
    ipv6: 41, IPv6: 41, 'ipv6-route': 43, 'IPv6-Route': 43, 'ipv6-frag': 44, 'IPv6-Frag': 44,
    rsvp: 46, RSVP: 46, gre: 47, GRE: 47, esp: 50, 'IPSEC-ESP': 50, ah: 51, 'IPSEC-AH': 51,
    'ipv6-icmp': 58, 'IPv6-ICMP': 58, 'ipv6-nonxt': 59, 'IPv6-NoNxt': 59, 'ipv6-opts': 60,
    'IPv6-Opts': 60, eigrp: 88, EIGRP: 88, ospf: 89, OSPFIGP: 89, ipip: 94, IPIP: 94, pim: 103, PIM: 103,
    vrrp: 112, VRRP: 112, l2tp: 115, L2TP: 115, sctp: 132, SCTP: 132, udplite: 136, UDPLite: 136,
  }),
);

/** Ether-type names (`ether proto \arp`), values above 1500 (Ethernet II types) or LLC SAPs at or below. */
export const ETHER_PROTOCOLS: ReadonlyMap<string, number> = new Map(
  Object.entries({
    ip: 0x0800, arp: 0x0806, rarp: 0x8035, ip6: 0x86dd, mopdl: 0x6001, moprc: 0x6002, decnet: 0x6003,
    lat: 0x6004, sca: 0x6007, atalk: 0x809b, aarp: 0x80f3, loopback: 0x9000,
    // LLC service access points
    iso: 0xfe, stp: 0x42, ipx: 0xe0, netbeui: 0xf0,
  }),
);

/** A service name: its port and whether it is registered for TCP and for UDP. */
export interface Service {
  port: number;
  tcp: boolean;
  udp: boolean;
}

const svc = (port: number, tcp: boolean, udp: boolean): Service => ({ port, tcp, udp });

/**
 * Well-known service names as a Debian /etc/services lists them. Only these
 * resolve: the compiler is host-independent, so it reads no system database.
 */
export const SERVICES: ReadonlyMap<string, Service> = new Map(
  Object.entries({
    'ftp-data': svc(20, true, false), ftp: svc(21, true, false), ssh: svc(22, true, false),
    telnet: svc(23, true, false), smtp: svc(25, true, false), mail: svc(25, true, false),
    domain: svc(53, true, true), bootps: svc(67, false, true), bootpc: svc(68, false, true),
    tftp: svc(69, false, true), http: svc(80, true, false), www: svc(80, true, false),
    kerberos: svc(88, true, true), pop3: svc(110, true, false), ntp: svc(123, false, true),
    imap2: svc(143, true, false), imap: svc(143, true, false), snmp: svc(161, true, true),
    'snmp-trap': svc(162, true, true), bgp: svc(179, true, false), ldap: svc(389, true, true),
    https: svc(443, true, true), 'microsoft-ds': svc(445, true, false), isakmp: svc(500, false, true),
    syslog: svc(514, true, true), printer: svc(515, true, false), submission: svc(587, true, false),
    ipp: svc(631, true, false), rsync: svc(873, true, false), imaps: svc(993, true, false),
    pop3s: svc(995, true, false), openvpn: svc(1194, true, true), 'ms-sql-s': svc(1433, true, false),
    nfs: svc(2049, true, true), mysql: svc(3306, true, false), postgresql: svc(5432, true, false),
    postgres: svc(5432, true, false), sip: svc(5060, true, true), 'xmpp-client': svc(5222, true, false),
    x11: svc(6000, true, false), 'http-alt': svc(8080, true, false), webcache: svc(8080, true, false),
  }),
);
