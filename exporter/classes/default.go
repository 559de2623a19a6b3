package classes

import "strings"

// builtin is the default list. shell, package_manager and miner are the
// mixin's shellBinaries, packageManagerBinaries and minerBinaries
// (mixin/config-process-exec.libsonnet); network_tool and remote_copy together are its
// networkToolBinaries. A test keeps them equal.
const builtin = `
shell: sh bash dash ash zsh ksh mksh csh tcsh fish
network_tool: nc ncat netcat socat nmap masscan zmap telnet tcpdump tshark dig nslookup
remote_copy: curl wget ssh scp sftp ftp tftp rsync
package_manager: apt apt-get aptitude dpkg yum dnf microdnf rpm apk zypper pacman pip pip3 npm gem
miner: xmrig xmr-stak minerd cpuminer cpuminer-multi ccminer cgminer bfgminer ethminer t-rex nbminer lolminer phoenixminer nanominer gminer teamredminer srbminer-multi
recon: whoami id uname hostname ifconfig ip arp route lsof nproc
credential_search: find grep egrep locate updatedb
user_mgmt: useradd userdel usermod adduser deluser passwd chpasswd groupadd groupmod visudo
k8s_client: kubectl crictl ctr docker podman nerdctl helm
mount_tool: mount umount debugfs nsenter unshare chroot losetup
log_wiper: shred wipe mkfs mkfs.ext4 mkfs.xfs wipefs
`

// Default returns the built-in class list.
func Default() List {
	l, err := Parse(strings.NewReader(builtin), "built-in classes")
	if err != nil {
		panic(err) // a test parses it
	}
	return l
}
