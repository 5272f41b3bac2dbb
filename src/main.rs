//! `partner-portal`: parses the command line and calls the library.

use clap::{Parser, Subcommand};
use partner_portal::{
    commands,
    config::{LogFormat, Settings},
    db,
    startup::Application,
    telemetry,
};

/// See Cargo.toml: glibc's malloc cost the list page 14 % of the portal's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "partner-portal",
    version,
    about = "Partner Portal: register and manage partner companies",
    long_about = "Partner Portal: register and manage partner companies.\n\n\
                  Without a command it serves HTTP (like `serve`). Settings come from the \
                  environment (and .env in development): see .env.example."
)]
struct Cli {
    /// What to do; `serve` when none is given.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations, then serve HTTP on BIND_ADDR (the default command).
    ///
    /// SIGTERM (`docker stop`, systemd) stops it gracefully: no new connections, requests in
    /// flight finish (up to 30 seconds), then the email worker stops between two emails.
    /// Ctrl-C (SIGINT) stops at once, still between two emails.
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Enterprise accounts.
    Enterprise {
        /// What to do with enterprise accounts.
        #[command(subcommand)]
        action: EnterpriseCommand,
    },
    /// Create (or refresh) the demo enterprise and print its admin login.
    SeedDemo,
}

#[derive(Subcommand)]
enum EnterpriseCommand {
    /// Create an enterprise and its first admin; prints a single-use set-password link.
    Create {
        /// The enterprise's name as partners see it (1 to 100 characters, unique).
        #[arg(long)]
        name: String,
        /// Email address of the first enterprise admin, who receives the set-password link.
        #[arg(long)]
        admin_email: String,
        /// The admin's first name.
        #[arg(long, default_value = "Enterprise")]
        first_name: String,
        /// The admin's surname.
        #[arg(long, default_value = "Admin")]
        surname: String,
    },
}

fn main() {
    let cli = Cli::parse();
    // Settings first: they say how to log (`LOG_FORMAT`); a bad one is printed as one line.
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    telemetry::init(settings.log_format);
    if let Err(e) = run(cli.command.unwrap_or(Command::Serve), settings) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn connect_and_migrate(settings: &Settings) -> anyhow::Result<diesel::PgConnection> {
    let mut conn = db::connect(settings.database.url.expose())
        .map_err(|e| anyhow::anyhow!("cannot connect to DATABASE_URL: {e}"))?;
    db::run_migrations(&mut conn)?;
    Ok(conn)
}

fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(settings),
        Command::Migrate => {
            connect_and_migrate(&settings)?;
            println!("migrations applied");
            Ok(())
        }
        Command::Enterprise { action: EnterpriseCommand::Create { name, admin_email, first_name, surname } } => {
            let mut conn = connect_and_migrate(&settings)?;
            let created = commands::create_enterprise(&mut conn, &settings, &name, &admin_email, &first_name, &surname)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("Created enterprise {name} (id {}).", created.enterprise_id);
            println!("Send this single-use link to {admin_email} to set their password");
            println!("(valid for {} hours):", settings.invite_ttl.as_secs() / 3600);
            println!("{}", created.set_password_link);
            Ok(())
        }
        Command::SeedDemo => {
            let mut conn = connect_and_migrate(&settings)?;
            let login = commands::seed_demo(&mut conn, &settings).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("Demo data ready.");
            println!("  Portal:   {}", settings.public_base_url);
            println!("  Email:    {}", login.email);
            println!("  Password: {}", login.password);
            println!(
                "  Partner users with the same password: {} (Admin), {} (Member)",
                partner_portal::demo::DEMO_PARTNER_ADMIN,
                partner_portal::demo::DEMO_PARTNER_MEMBER
            );
            println!("  API token (every scope, 30 days; README \"Using the API\"): {}", login.api_token);
            Ok(())
        }
    }
}

#[actix_web::main]
async fn serve(settings: Settings) -> anyhow::Result<()> {
    if settings.session.key_generated {
        tracing::warn!("SESSION_KEY is not set: using a random key, so sessions end when the portal restarts");
    }
    let app = Application::build(settings.clone()).await?;
    tracing::info!(address = %settings.public_base_url, port = app.port(), "Partner Portal is listening");
    if settings.log_format == LogFormat::Text {
        // For a person at a terminal; with JSON logs stdout holds JSON lines only.
        println!("Partner Portal is running at {}", settings.public_base_url);
    }
    app.run_until_stopped().await?;
    Ok(())
}
