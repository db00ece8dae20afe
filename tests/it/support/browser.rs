//! A headless Chromium driven through ChromeDriver, with JavaScript
//! disabled for pages, for the tests of the web UI; a test skips loudly
//! when Debian's chromium or chromium-driver is missing.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// ChromeDriver on a free port, killed when dropped.
pub struct Driver {
    child: std::process::Child,
    pub port: u16,
    profile: PathBuf,
}

impl Driver {
    pub fn start(dir: &Path) -> Option<Driver> {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(tool).exists() {
                eprintln!(
                    "\n!!! SKIPPED: {tool} is missing; install Debian's chromium and chromium-driver (.ci/run does) !!!\n"
                );
                return None;
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Its own process group, so that dropping it also ends the Chromium
        // it started, even when a failing test never closed the session.
        let child = std::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Driver {
            child,
            port,
            profile: dir.join("chromium-profile"),
        })
    }

    /// A headless Chromium with JavaScript disabled for pages.
    pub async fn browser(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                    "--window-size=1280,1800", format!("--user-data-dir={}", self.profile.display()),
                ],
                "prefs": {"profile.managed_default_content_settings.javascript": 2},
            }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &group])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Clicks what `locator` finds and waits until the next page replaced this one.
pub async fn click(c: &Client, locator: Locator<'_>) {
    let page = c.find(Locator::Css("html")).await.unwrap();
    c.find(locator).await.unwrap().click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while page.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "the page did not change");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
