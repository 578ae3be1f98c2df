//! The `masthead` command: serve a publication, run its worker, manage its
//! database and staff, or start a ready-made demo publication.

mod config;
mod demo;
mod demo_content;
mod demo_magazine;
mod demo_newsletters;
mod demo_numbers;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use masthead_core::staff::Role;
use masthead_db::Db;
use masthead_web::AppState;
use tokio::sync::watch;

use crate::config::Config;

#[derive(Parser)]
#[command(name = "masthead", version, about = "Run a subscription news publication from one binary.", after_help = config::ENV_HELP)]
struct Cli {
    /// TOML configuration file (default: ./masthead.toml if present)
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a config file, the data directory and the database, and say what was made
    Init {
        /// Where to write the config file
        #[arg(long, default_value = "masthead.toml")]
        output: PathBuf,
        /// Overwrite an existing config file
        #[arg(long)]
        force: bool,
    },
    /// Serve the publication (and, by default, run its jobs and scheduler)
    Serve,
    /// Run jobs and the scheduler without serving pages
    Worker,
    /// Apply database migrations; refuses a database newer than this binary
    Migrate,
    /// Manage staff accounts
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Copy the whole publication into another database (e.g. SQLite to PostgreSQL), then compare counts
    Copy {
        /// The destination: postgres://USER@HOST/DB or sqlite:PATH; migrated first, must hold no articles
        #[arg(long)]
        to: String,
    },
    /// API tokens: content keys and staff tokens for the Admin API
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Billing: reconcile local subscriptions with the payment provider
    Billing {
        #[command(subcommand)]
        command: BillingCommand,
    },
    /// Full-text search: rebuild the index
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// Make a demo publication (about 200 articles, images, an owner login) and serve it
    Demo {
        /// How many articles to generate
        #[arg(long, default_value_t = 200)]
        articles: usize,
        /// Seed for the generated content
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Build the demo and exit instead of serving it
        #[arg(long)]
        no_serve: bool,
    },
}

#[derive(Subcommand)]
enum BillingCommand {
    /// Compare every local Stripe subscription with Stripe's, repair drift, replay missed webhooks; prints what changed
    Reconcile,
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Queue a rebuild of the whole search index (a running worker does it in batches)
    Rebuild {
        /// Do the rebuild in this process and wait for it
        #[arg(long)]
        now: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Make a token and print it (it is shown once; only its hash is kept)
    Create {
        /// content (the public Content API) or admin (the Admin API)
        #[arg(long, default_value = "content")]
        kind: String,
        /// What uses it, e.g. "Mobile app"
        #[arg(long)]
        name: String,
        /// For admin tokens: the staff member it acts as (by email)
        #[arg(long)]
        staff: Option<String>,
        /// For admin tokens: articles:read articles:write articles:publish taxonomy:write members:read admin
        #[arg(long, default_value = "articles:read")]
        scopes: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account; prints a generated password unless one is given
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// owner, administrator, editor, author or contributor
        #[arg(long, default_value = "editor")]
        role: String,
        /// Read the password from this file instead of generating one
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// List staff accounts
    List,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = (|| {
        let cfg = config::load(cli.config.as_deref())?;
        init_logging(&cfg)?;
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
        rt.block_on(run(cli.command, cfg))
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line an operator can act on: what failed and why.
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}

fn init_logging(cfg: &Config) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&cfg.log_level)
        .map_err(|e| anyhow::anyhow!("MASTHEAD_LOG_LEVEL / log_level {:?} is not a valid filter: {e}", cfg.log_level))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = if cfg.log_format == "json" { builder.json().try_init() } else { builder.try_init() };
    result.map_err(|e| anyhow::anyhow!("cannot start logging: {e}"))
}

async fn run(command: Command, cfg: Config) -> anyhow::Result<()> {
    match command {
        Command::Init { output, force } => init(cfg, output, force).await,
        Command::Serve => {
            let db = open(&cfg, true).await?;
            serve(cfg, db).await
        }
        Command::Worker => {
            let db = open(&cfg, false).await?;
            worker(cfg, db).await
        }
        Command::Migrate => {
            ensure_sqlite_dir(&cfg)?;
            let db = Db::connect(&cfg.database_url).await?;
            let applied = db.migrate().await?;
            if applied.is_empty() {
                println!("The database is up to date (migration {}).", db.known_version());
            } else {
                println!("Applied migrations {:?}; the database is at migration {}.", applied, db.known_version());
            }
            Ok(())
        }
        Command::User { command: UserCommand::Create { email, name, role, password_file } } => {
            let role = Role::parse(&role)
                .with_context(|| format!("unknown role {role:?}: use owner, administrator, editor, author or contributor"))?;
            let db = open(&cfg, true).await?;
            let (password, generated) = match password_file {
                Some(p) => {
                    let pw = std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?;
                    (pw.trim_end_matches(['\n', '\r']).to_string(), false)
                }
                None => (generate_password(), true),
            };
            if password.chars().count() < masthead_web::auth::masthead_password::MIN_LEN {
                bail!("the password must be at least {} characters", masthead_web::auth::masthead_password::MIN_LEN);
            }
            let hash = masthead_web::auth::masthead_password::hash(&password).map_err(anyhow::Error::msg)?;
            let member = db.create_staff(&email, &name, role, &hash, chrono::Utc::now()).await?;
            println!("Created {} ({}) as {}.", member.email, member.name, member.role.as_str());
            if generated {
                println!("Password: {password}");
            }
            Ok(())
        }
        Command::User { command: UserCommand::List } => {
            let db = open(&cfg, false).await?;
            for s in db.staff().await? {
                println!("{}\t{}\t{}", s.email, s.role.as_str(), s.name);
            }
            Ok(())
        }
        Command::Copy { to } => {
            let from = open(&cfg, false).await?;
            let dest = Db::connect(&to).await?;
            dest.migrate().await?;
            let counts = from.copy_to(&dest).await?;
            for (table, n) in &counts {
                println!("{table}: {n}");
            }
            println!("Copied {} tables to {}; every count matches. Media files stay in {}.", counts.len(), masthead_db::redact_url(&to), cfg.data_dir.display());
            from.close().await;
            dest.close().await;
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { kind, name, staff, scopes } } => {
            use masthead_db::tokens::TokenKind;
            let kind = match kind.as_str() {
                "content" => TokenKind::Content,
                "admin" => TokenKind::Admin,
                other => bail!("unknown token kind {other:?}: use content or admin"),
            };
            let db = open(&cfg, true).await?;
            let (staff_id, scopes) = match kind {
                TokenKind::Content => (None, Vec::new()),
                TokenKind::Admin => {
                    let email = staff.context("an admin token acts as a staff member: give --staff EMAIL")?;
                    let member = db.staff_by_email(&email).await?.with_context(|| format!("no staff member {email}"))?;
                    let scopes = masthead_core::staff::Scope::parse_list(&scopes).map_err(anyhow::Error::msg)?;
                    if scopes.is_empty() {
                        bail!("give at least one scope");
                    }
                    (Some(member.id), scopes)
                }
            };
            let (hash, prefix, secret) = masthead_web::api::new_token(kind);
            db.create_api_token(kind, &name, &hash, &prefix, staff_id, &scopes, chrono::Utc::now()).await?;
            println!("{secret}");
            db.close().await;
            Ok(())
        }
        Command::Billing { command: BillingCommand::Reconcile } => {
            let db = open(&cfg, false).await?;
            let state = state(&cfg, db.clone(), None).await?;
            let report = masthead_web::billing::reconcile(&state).await.map_err(anyhow::Error::msg)?;
            let ran = masthead_web::worker::drain(&state).await;
            println!("Checked {} subscriptions; replayed {} missed events ({ran} jobs run).", report.checked, report.replayed_events);
            for r in &report.repaired {
                println!("repaired {r}");
            }
            for e in &report.errors {
                eprintln!("could not check {e}");
            }
            state.flush_meter().await;
            db.close().await;
            if report.errors.is_empty() { Ok(()) } else { bail!("{} subscriptions could not be checked", report.errors.len()) }
        }
        Command::Search { command: SearchCommand::Rebuild { now } } => {
            let db = open(&cfg, false).await?;
            db.queue_reindex(masthead_db::search::Reindex::All { after: 0 }, chrono::Utc::now()).await?;
            if now {
                let state = state(&cfg, db.clone(), None).await?;
                let ran = masthead_web::worker::drain(&state).await;
                println!("Rebuilt the search index: {} articles indexed ({ran} jobs run).", db.indexed_count().await?);
                state.flush_meter().await;
            } else {
                println!("Queued a rebuild of the search index; the worker will do it.");
            }
            db.close().await;
            Ok(())
        }
        Command::Demo { articles, seed, no_serve } => {
            let cfg = demo::config(cfg);
            let db = open(&cfg, true).await?;
            let state = state(&cfg, db.clone(), None).await?;
            let login = demo::build(&state, articles, seed).await?;
            println!("Demo publication ready: {}", cfg.base_url());
            println!("Data: {} (database {})", cfg.data_dir.display(), masthead_db::redact_url(&cfg.database_url));
            println!("Desk: {}/admin  email: {}  password: {}", cfg.base_url(), login.email, login.password);
            if no_serve {
                return Ok(());
            }
            // Renditions are made by the worker inside serve, in the background.
            drop(state);
            serve(cfg, db).await
        }
    }
}

/// Connects, and migrates if asked (refusing a schema newer than us).
fn ensure_sqlite_dir(cfg: &Config) -> anyhow::Result<()> {
    if let Some(path) = cfg.database_url.strip_prefix("sqlite:") {
        let path = path.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create the database directory {}", dir.display()))?;
        }
    }
    Ok(())
}

async fn open(cfg: &Config, migrate: bool) -> anyhow::Result<Db> {
    ensure_sqlite_dir(cfg)?;
    let db = Db::connect(&cfg.database_url).await?;
    if migrate {
        let applied = db.migrate().await?;
        if !applied.is_empty() {
            tracing::info!(?applied, "applied database migrations");
        }
    } else if db.applied_version().await?.unwrap_or(0) != db.known_version() {
        bail!("the database is not at migration {}: run `masthead migrate` first", db.known_version());
    }
    Ok(db)
}

async fn state(cfg: &Config, db: Db, metrics: Option<metrics_exporter_prometheus::PrometheusHandle>) -> anyhow::Result<AppState> {
    let state = AppState::new(db, cfg.web()?, metrics).await?;
    // A wrong key or bucket is a configuration mistake: say so now, not at the first upload.
    // An unreachable store may come back, so that only warns.
    match state.media.check().await {
        Ok(()) => tracing::info!(media = %state.media.describe(), "media store ready"),
        Err(e @ masthead_media::MediaError::Storage(masthead_media::S3Error::Transport { .. })) => {
            tracing::warn!(media = %state.media.describe(), error = %e, "the media store cannot be reached yet")
        }
        Err(e) => bail!("media store ({}): {e}", state.media.describe()),
    }
    Ok(state)
}

async fn serve(cfg: Config, db: Db) -> anyhow::Result<()> {
    let metrics = if cfg.metrics {
        Some(
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .map_err(|e| anyhow::anyhow!("cannot start metrics: {e}"))?,
        )
    } else {
        None
    };
    let addr = cfg.listen_addr()?;
    let state = state(&cfg, db.clone(), metrics).await?;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker = cfg.embedded_worker.then(|| tokio::spawn(masthead_web::worker::run_forever(state.clone(), stop_rx.clone())));
    let listener_task = tokio::spawn(masthead_web::cluster::listen(state.clone(), stop_rx.clone()));
    tracing::info!(%addr, base_url = %cfg.base_url(), backend = ?db.backend(), "serving");
    let flush_state = state.clone();
    let app = masthead_web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await.context("the server stopped")?;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    if let Some(w) = worker {
        let _ = w.await;
    }
    let _ = listener_task.await;
    // Reads counted in the last moments are written before we go.
    flush_state.flush_meter().await;
    db.close().await;
    Ok(())
}

async fn worker(cfg: Config, db: Db) -> anyhow::Result<()> {
    let state = state(&cfg, db.clone(), None).await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let handle = tokio::spawn(masthead_web::worker::run_forever(state.clone(), stop_rx.clone()));
    let listener_task = tokio::spawn(masthead_web::cluster::listen(state, stop_rx));
    tracing::info!("worker running");
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    let _ = handle.await;
    let _ = listener_task.await;
    db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

async fn init(cfg: Config, output: PathBuf, force: bool) -> anyhow::Result<()> {
    if output.exists() && !force {
        bail!("{} already exists; pass --force to overwrite it", output.display());
    }
    std::fs::create_dir_all(cfg.data_dir.join("media"))
        .with_context(|| format!("cannot create the data directory {}", cfg.data_dir.display()))?;
    let secret = cfg.secret()?;
    let _ = secret;
    let toml = format!(
        "# Masthead configuration. Environment variables MASTHEAD_* override these.\n\
         database_url = {:?}\nlisten = {:?}\ndata_dir = {:?}\n# base_url = \"https://news.example.org\"\n\
         # theme_dir = \"theme\"\nlog_format = \"text\"\nlog_level = \"info\"\n",
        cfg.database_url,
        cfg.listen,
        cfg.data_dir.display().to_string()
    );
    std::fs::write(&output, toml).with_context(|| format!("cannot write {}", output.display()))?;
    println!("Wrote {}", output.display());
    println!("Made {} (media, secret.key)", cfg.data_dir.display());
    let db = open(&cfg, true).await?;
    println!("Created the database {} at migration {}", masthead_db::redact_url(&cfg.database_url), db.known_version());
    println!("Next: masthead user create --email you@example.org --name \"Your Name\" --role owner, then masthead serve");
    Ok(())
}
