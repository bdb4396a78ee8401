//! The council's relay server: iroh's relay, plain HTTP for a hall LAN or tests, TLS with the
//! council's own certificate for the internet, gated by the roster.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use iroh::RelayUrl;
use iroh_relay::server::{CertConfig, RelayConfig, Server, ServerConfig, TlsConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use thiserror::Error;

use crate::gate::RosterGate;

/// A certificate and its key, PEM files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
    /// Where to serve HTTPS.
    pub https: SocketAddr,
}

/// How to run the relay.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// Where to serve plain HTTP (the relay itself when there is no TLS; the captive-portal probe
    /// otherwise).
    pub http: SocketAddr,
    /// TLS, for a relay reachable from the internet.
    pub tls: Option<TlsFiles>,
    /// Host name in the URL peers use (defaults to the bound IP address).
    pub public_host: Option<String>,
}

/// Why the relay could not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RelayError {
    /// A certificate or key file could not be used.
    #[error("{path}: {reason}")]
    Tls {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The server could not start (port in use, …).
    #[error("cannot start the relay: {0}")]
    Start(String),
}

/// A running relay.
#[derive(Debug)]
pub struct CouncilRelay {
    server: Server,
    url: RelayUrl,
    gate: RosterGate,
}

fn tls_config(files: &TlsFiles) -> Result<rustls::ServerConfig, RelayError> {
    let err = |path: &PathBuf, reason: String| RelayError::Tls {
        path: path.clone(),
        reason,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| err(&files.cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(&files.cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(err(&files.cert, "no certificate in the file".into()));
    }
    let key =
        PrivateKeyDer::from_pem_file(&files.key).map_err(|e| err(&files.key, e.to_string()))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| err(&files.cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| err(&files.key, e.to_string()))
}

impl CouncilRelay {
    /// Starts the relay, admitting only what `gate` admits.
    pub async fn start(options: RelayOptions, gate: RosterGate) -> Result<Self, RelayError> {
        let mut relay = RelayConfig::new(options.http);
        relay.access = Arc::new(gate.clone());
        if let Some(files) = &options.tls {
            relay.tls = Some(TlsConfig::new(
                files.https,
                CertConfig::Manual {
                    server_config: tls_config(files)?,
                },
            ));
        }
        let mut config = ServerConfig::default();
        config.relay = Some(relay);
        let server = Server::spawn(config)
            .await
            .map_err(|e| RelayError::Start(e.to_string()))?;
        let (scheme, addr) = match (
            options.tls.is_some(),
            server.https_addr(),
            server.http_addr(),
        ) {
            (true, Some(a), _) => ("https", a),
            (_, _, Some(a)) => ("http", a),
            _ => return Err(RelayError::Start("the relay bound no address".into())),
        };
        let host = options
            .public_host
            .clone()
            .unwrap_or_else(|| addr.ip().to_string());
        let url = format!("{scheme}://{host}:{}", addr.port())
            .parse()
            .map_err(|e| RelayError::Start(format!("bad relay URL: {e}")))?;
        Ok(CouncilRelay { server, url, gate })
    }

    /// The URL peers configure.
    pub fn url(&self) -> &RelayUrl {
        &self.url
    }

    /// The gate, to update when the roster changes.
    pub fn gate(&self) -> &RosterGate {
        &self.gate
    }

    /// Stops the server.
    pub async fn stop(self) {
        let _ = self.server.shutdown().await;
    }
}
