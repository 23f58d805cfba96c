//! The mail queue against a real SMTP server: an SMTP server that is down delays mail, it does not
//! lose it.

use portal_tests::{TestApp, mailbox_smtp_port, mails_for, smtp_to, unique_email};

#[tokio::test]
async fn mail_waits_while_smtp_is_down_and_is_delivered_once_it_is_back() {
    let app = TestApp::spawn().await;
    let to = unique_email("queued");
    let message = portal_mail::Message {
        message_id: None,
        attachments: vec![],
        to: to.clone(),
        from_name: "Stadt Test".into(),
        reply_to: None,
        subject: "Test über SMTP".into(),
        text: "Hallo https://example.org/x".into(),
        html: "<p>Hallo</p>".into(),
    };
    let mut tx = app.state.db.platform().await.unwrap_or_else(|e| panic!("{e}"));
    let id = portal_mail::enqueue(tx.conn(), None, &message).await.unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));

    // nothing listens on this port: delivery fails and is rescheduled
    let closed = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(1);
    let delivered =
        portal_mail::process_due(&app.state.db, &smtp_to(closed), 10).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(delivered, 0);
    let (status, attempts, later, error): (String, i32, bool, Option<String>) =
        sqlx::query_as("select status, attempts, run_at > now(), last_error from job where job_id = $1")
            .bind(id)
            .fetch_one(&app.db.platform)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((status.as_str(), attempts, later), ("pending", 1, true));
    assert!(error.is_some());
    // not due yet: the working server does not get it before the backoff has passed
    assert_eq!(portal_mail::process_due(&app.state.db, &smtp_to(mailbox_smtp_port()), 10).await.unwrap_or(9), 0);

    // time passes; the server is back
    sqlx::query("update job set run_at = now() where job_id = $1")
        .bind(id)
        .execute(&app.db.owner().await)
        .await
        .unwrap_or_default();
    assert_eq!(portal_mail::process_due(&app.state.db, &smtp_to(mailbox_smtp_port()), 10).await.unwrap_or(0), 1);
    let mails = mails_for(&to).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "Test über SMTP");
    let status: String = sqlx::query_scalar("select status from job where job_id = $1")
        .bind(id)
        .fetch_one(&app.db.platform)
        .await
        .unwrap_or_default();
    assert_eq!(status, "done");
}

/// An SMTP server that accepts the mail while the database drops the worker's connections (a
/// restart at the worst moment).
struct AcceptsWhileTheDatabaseRestarts {
    owner: sqlx::PgPool,
    database: String,
    sent: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl portal_mail::MailTransport for AcceptsWhileTheDatabaseRestarts {
    async fn send(&self, _: &portal_mail::Message) -> Result<(), String> {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        sqlx::query(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and usename = 'portal_platform'",
        )
        .bind(&self.database)
        .execute(&self.owner)
        .await
        .map_err(|e| e.to_string())?;
        Ok(())
    }
}

#[tokio::test]
async fn a_mail_accepted_while_the_database_drops_the_connection_is_recorded_once_and_not_sent_again() {
    let app = TestApp::spawn().await;
    let message = portal_mail::Message {
        message_id: None,
        attachments: vec![],
        to: unique_email("neustart"),
        from_name: "Stadt Test".into(),
        reply_to: None,
        subject: "Einmal".into(),
        text: "x".into(),
        html: "<p>x</p>".into(),
    };
    let mut tx = app.state.db.platform().await.unwrap_or_else(|e| panic!("{e}"));
    let id = portal_mail::enqueue(tx.conn(), None, &message).await.unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    let smtp = AcceptsWhileTheDatabaseRestarts {
        owner: app.db.owner().await,
        database: app.db.name.clone(),
        sent: std::sync::atomic::AtomicUsize::new(0),
    };

    let delivered = portal_mail::process_due(&app.state.db, &smtp, 10).await.unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(delivered, 1);
    let status: String = sqlx::query_scalar("select status from job where job_id = $1")
        .bind(id)
        .fetch_one(&app.db.owner().await)
        .await
        .unwrap_or_default();
    assert_eq!(status, "done", "the outcome was recorded after the connection came back");
    // even once the claim would have expired, nothing is due again
    sqlx::query("update job set locked_until = now() - interval '1 second' where job_id = $1")
        .bind(id)
        .execute(&app.db.owner().await)
        .await
        .unwrap_or_default();
    assert_eq!(portal_mail::process_due(&app.state.db, &smtp, 10).await.unwrap_or(9), 0);
    assert_eq!(smtp.sent.load(std::sync::atomic::Ordering::SeqCst), 1, "sent once");
}
