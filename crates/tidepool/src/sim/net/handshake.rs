//! Opening connections: attempts, arrivals at listeners, backlogs, replies.

use std::io;
use std::net::SocketAddr;
use std::task::Waker;

use super::config::DeadHostConnect;
use super::model::{ConnectState, NO_HOST, fault_code};
use crate::sim::events::EventKind;
use crate::sim::trace::TraceKind;
use crate::sim::world::World;

impl World {
    /// Starts a connection attempt from `client` to `target`; returns its id.
    pub(crate) fn net_connect(
        &mut self,
        client: u32,
        local: SocketAddr,
        target: SocketAddr,
    ) -> u32 {
        let server = self.hosts.by_ip(target.ip()).unwrap_or(NO_HOST);
        let conn = self.net.open_conn([client, server], [local, target]);
        let latency = if server == NO_HOST {
            0
        } else {
            self.latency_nanos(client, server)
        };
        let connect_failure = self.net.config.connect_failure_probability;
        if server == NO_HOST {
            // No such host: nothing answers.
            self.fail_connect(conn, io::ErrorKind::TimedOut);
        } else if self.fault_fires(connect_failure) {
            self.net.stats.connect_failures += 1;
            self.record(TraceKind::Fault, client, fault_code::CONNECT_FAILURE);
            self.fail_connect(conn, io::ErrorKind::ConnectionRefused);
        } else {
            self.maybe_link_faults(client, server);
            self.schedule_conn(conn, self.now + latency, EventKind::ConnectArrive { conn });
        }
        conn
    }

    pub(super) fn fail_connect(&mut self, conn: u32, kind: io::ErrorKind) {
        let entry = &mut self.net.conns[conn as usize];
        entry.connect = ConnectState::Failed(kind);
        // A failed attempt has no server end; nothing will close it.
        entry.ends[1].closed = true;
        let (client, server) = (entry.hosts[0], entry.hosts[1]);
        let delay = match kind {
            io::ErrorKind::TimedOut => crate::sim::net::nanos(self.net.config.connect_timeout),
            _ if server == NO_HOST => 0,
            _ => self.latency_nanos(server, client),
        };
        self.schedule_conn(conn, self.now + delay, EventKind::ConnectReply { conn });
    }

    pub(super) fn on_connect_arrive(&mut self, conn: u32) {
        let entry = &self.net.conns[conn as usize];
        let (client, server, port) = (entry.hosts[0], entry.hosts[1], entry.addrs[1].port());
        if self.net.link(client, server).is_partitioned()
            || self.net.link(server, client).is_partitioned()
        {
            return self.fail_connect(conn, io::ErrorKind::TimedOut);
        }
        let clogged_until = self.net.link(client, server).clogged_until;
        if clogged_until > self.now {
            // A SYN lost in a clog is retried until the connect timeout; a
            // clog that outlasts it times the attempt out. Otherwise the
            // attempt lands when the link opens: at the clog's end, or
            // sooner if it is unclogged or healed.
            let timeout = crate::sim::net::nanos(self.net.config.connect_timeout);
            if clogged_until - self.now > timeout {
                return self.fail_connect(conn, io::ErrorKind::TimedOut);
            }
            self.net.hold(conn);
            self.net.stalled_connects.push(conn);
            return;
        }
        if !self.hosts.get(server).alive {
            let kind = match self.net.config.dead_host_connect {
                DeadHostConnect::Refuse => io::ErrorKind::ConnectionRefused,
                DeadHostConnect::Hang => io::ErrorKind::TimedOut,
            };
            self.record(TraceKind::NetRefuse, server, port as u64);
            return self.fail_connect(conn, kind);
        }
        invariant!(
            !self.net.conns[conn as usize].ends[1].closed,
            "a connection attempt arrived for a server end already closed"
        );
        let backlog_max = self.net.config.accept_backlog;
        let Some(listener) = self.net.listeners.get_mut(&(server, port)) else {
            self.record(TraceKind::NetRefuse, server, port as u64);
            return self.fail_connect(conn, io::ErrorKind::ConnectionRefused);
        };
        if listener.backlog.len() >= backlog_max {
            self.record(TraceKind::NetRefuse, server, port as u64);
            return self.fail_connect(conn, io::ErrorKind::ConnectionRefused);
        }
        listener.backlog.push_back(conn);
        if let Some(waker) = listener.waker.take() {
            waker.wake();
        }
        let entry = &mut self.net.conns[conn as usize];
        entry.connect = ConnectState::Accepted;
        let serial = entry.serial;
        self.record(TraceKind::NetConnect, serial, port as u64);
        let latency = self.latency_nanos(server, client);
        // The answer waits out a clog of the way back.
        let clogged_until = self.net.link(server, client).clogged_until;
        let time = (self.now + latency).max(clogged_until);
        self.schedule_conn(conn, time, EventKind::ConnectReply { conn });
    }

    pub(super) fn on_connect_reply(&mut self, conn: u32) {
        let entry = &mut self.net.conns[conn as usize];
        entry.connect = match entry.connect {
            ConnectState::Accepted => ConnectState::Answered(Ok(())),
            ConnectState::Failed(kind) => ConnectState::Answered(Err(kind)),
            other => other,
        };
        if let Some(waker) = entry.connect_waker.take() {
            waker.wake();
        }
    }

    /// The answer to a connection attempt, or `None` (waker stored) while it travels.
    pub(crate) fn poll_connect(
        &mut self,
        conn: u32,
        waker: &Waker,
    ) -> Option<Result<(), io::ErrorKind>> {
        let entry = &mut self.net.conns[conn as usize];
        match entry.connect {
            ConnectState::Answered(Err(kind)) => {
                // No stream will hold the client's end of a failed attempt.
                entry.ends[0].closed = true;
                self.net.release_if_done(conn);
                Some(Err(kind))
            }
            ConnectState::Answered(result) => Some(result),
            _ => {
                entry.connect_waker = Some(waker.clone());
                None
            }
        }
    }

    /// The next queued connection of a listener, or `None` (waker stored).
    pub(crate) fn poll_accept(&mut self, host: u32, port: u16, waker: &Waker) -> Option<u32> {
        let listener = self.net.listeners.get_mut(&(host, port))?;
        match listener.backlog.pop_front() {
            Some(conn) => Some(conn),
            None => {
                listener.waker = Some(waker.clone());
                None
            }
        }
    }

    /// Removes a listener; connections queued at it are reset.
    pub(crate) fn close_listener(&mut self, host: u32, port: u16, id: u64) {
        let Some(listener) = self.net.listeners.get(&(host, port)) else {
            return;
        };
        if listener.id != id {
            return;
        }
        let listener = self
            .net
            .listeners
            .remove(&(host, port))
            .expect("checked above");
        for conn in listener.backlog {
            self.send_reset(conn, 1);
            self.net.conns[conn as usize].ends[1].closed = true;
            self.net.release_if_done(conn);
        }
    }
}
