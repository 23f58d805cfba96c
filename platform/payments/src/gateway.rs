//! The one way to Stripe: a trait the web layer holds as a trait object, and its async-stripe
//! implementation. Every PaymentIntent lives on the tenant's connected account (the
//! `Stripe-Account` header: direct charges, the municipality is the merchant of record) and is
//! created with an idempotency key, so a retried request never charges twice.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_shared::AccountId;

use crate::booking::Method;

/// Why Stripe could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// No platform secret key is configured (`APP__PAYMENTS__SECRET_KEY`).
    #[error("no Stripe secret key is configured")]
    NotConfigured,
    /// Stripe did not answer (network, timeout, 5xx).
    #[error("Stripe is not reachable: {0}")]
    Unreachable(String),
    /// Stripe refused the request (4xx) with its message.
    #[error("Stripe refused the request ({status}): {message}")]
    Refused { status: u16, code: String, message: String },
    /// Stripe answered with something the client could not read.
    #[error("unexpected answer from Stripe: {0}")]
    Invalid(String),
}

impl GatewayError {
    /// Stripe saw this idempotency key before with other parameters (e.g. a process died after the
    /// intent was created and before it was stored): the request needs a key of its own.
    pub fn is_idempotency_conflict(&self) -> bool {
        matches!(self, GatewayError::Refused { code, .. } if code == "idempotency_error")
    }

    /// Worth trying again later (the citizen sees "try again", nothing was charged).
    pub fn is_temporary(&self) -> bool {
        matches!(self, GatewayError::Unreachable(_))
    }
}

impl From<StripeError> for GatewayError {
    fn from(e: StripeError) -> Self {
        match e {
            StripeError::Stripe(err, status) if status < 500 => GatewayError::Refused {
                status,
                // an idempotency conflict has no code, only its type
                code: err.code.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_else(|| {
                    if err.type_.as_str() == "idempotency_error" {
                        "idempotency_error".to_owned()
                    } else {
                        String::new()
                    }
                }),
                message: err.message.clone().unwrap_or_default(),
            },
            StripeError::Stripe(err, status) => {
                GatewayError::Unreachable(format!("{status}: {}", err.message.clone().unwrap_or_default()))
            }
            StripeError::JSONDeserialize(m) => GatewayError::Invalid(m),
            StripeError::ClientError(m) => GatewayError::Unreachable(m),
            StripeError::Timeout => GatewayError::Unreachable("timeout".into()),
            StripeError::ConfigError(m) => GatewayError::Invalid(m),
        }
    }
}

/// A PaymentIntent to create.
#[derive(Debug, Clone)]
pub struct IntentRequest {
    pub account: String,
    pub amount_cents: i64,
    pub application_fee_cents: i64,
    pub methods: Vec<Method>,
    pub description: String,
    /// Shown on the payer's statement after the account's prefix (at most 22 characters).
    pub statement_suffix: Option<String>,
    pub metadata: HashMap<String, String>,
    pub idempotency_key: String,
}

/// What the platform needs of a PaymentIntent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteIntent {
    pub id: String,
    pub status: String,
    pub amount_cents: i64,
    pub amount_received: i64,
    pub application_fee_cents: Option<i64>,
    pub client_secret: Option<String>,
    pub failed: bool,
    pub failure_message: Option<String>,
    pub method: Option<String>,
    pub metadata: HashMap<String, String>,
    /// Unix seconds.
    pub created: i64,
}

impl From<stripe_shared::PaymentIntent> for RemoteIntent {
    fn from(pi: stripe_shared::PaymentIntent) -> Self {
        let failure_message = pi.last_payment_error.as_ref().and_then(|e| e.message.clone());
        Self {
            id: pi.id.as_str().to_owned(),
            status: pi.status.as_str().to_owned(),
            amount_cents: pi.amount,
            amount_received: pi.amount_received,
            application_fee_cents: pi.application_fee_amount,
            client_secret: pi.client_secret,
            failed: pi.last_payment_error.is_some(),
            failure_message,
            method: pi.payment_method_types.first().cloned(),
            metadata: pi.metadata,
            created: pi.created,
        }
    }
}

/// A refund as Stripe reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRefund {
    pub id: String,
    pub status: String,
    pub amount_cents: i64,
    pub intent_id: Option<String>,
    pub created: i64,
}

impl From<stripe_shared::Refund> for RemoteRefund {
    fn from(r: stripe_shared::Refund) -> Self {
        Self {
            id: r.id.as_str().to_owned(),
            status: r.status.unwrap_or_else(|| "pending".into()),
            amount_cents: r.amount,
            intent_id: r.payment_intent.as_ref().map(|p| p.id().as_str().to_owned()),
            created: r.created,
        }
    }
}

/// A connected account's onboarding state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAccount {
    pub id: String,
    pub charges_enabled: bool,
    pub details_submitted: bool,
    pub requirements_due: i32,
}

impl From<stripe_shared::Account> for RemoteAccount {
    fn from(a: stripe_shared::Account) -> Self {
        Self {
            id: a.id.as_str().to_owned(),
            charges_enabled: a.charges_enabled.unwrap_or(false),
            details_submitted: a.details_submitted.unwrap_or(false),
            requirements_due: a
                .requirements
                .and_then(|r| r.currently_due)
                .map_or(0, |v| i32::try_from(v.len()).unwrap_or(i32::MAX)),
        }
    }
}

/// Everything the platform asks of Stripe.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Whether a secret key is configured at all.
    fn configured(&self) -> bool;
    async fn create_intent(&self, req: &IntentRequest) -> Result<RemoteIntent, GatewayError>;
    async fn retrieve_intent(&self, account: &str, intent_id: &str) -> Result<RemoteIntent, GatewayError>;
    async fn cancel_intent(&self, account: &str, intent_id: &str) -> Result<RemoteIntent, GatewayError>;
    async fn refund(
        &self,
        account: &str,
        intent_id: &str,
        amount_cents: i64,
        idempotency_key: &str,
        metadata: HashMap<String, String>,
    ) -> Result<RemoteRefund, GatewayError>;
    async fn retrieve_account(&self, account: &str) -> Result<RemoteAccount, GatewayError>;
    /// A link to Stripe's hosted onboarding for the account.
    async fn onboarding_link(&self, account: &str, refresh_url: &str, return_url: &str)
    -> Result<String, GatewayError>;
}

/// async-stripe against `base_url` (Stripe's API, or a compatible server in tests).
pub struct StripeGateway {
    client: Option<Client>,
}

impl std::fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeGateway").field("configured", &self.client.is_some()).finish()
    }
}

fn account_id(account: &str) -> Result<AccountId, GatewayError> {
    AccountId::from_str(account).map_err(|_| GatewayError::Invalid("account id".into()))
}

fn key(k: &str) -> Result<RequestStrategy, GatewayError> {
    Ok(RequestStrategy::Idempotent(IdempotencyKey::new(k).map_err(|e| GatewayError::Invalid(e.to_string()))?))
}

impl StripeGateway {
    /// `secret_key` from the environment only; without it every call answers `NotConfigured`.
    pub fn new(secret_key: Option<&SecretString>, base_url: &str, timeout: Duration) -> Result<Self, GatewayError> {
        let client = match secret_key {
            Some(k) if !k.expose_secret().is_empty() => {
                let mut b = ClientBuilder::new(k.expose_secret()).timeout(timeout);
                if !base_url.is_empty() {
                    b = b.url(base_url);
                }
                Some(b.build().map_err(|e| GatewayError::Invalid(e.to_string()))?)
            }
            _ => None,
        };
        Ok(Self { client })
    }

    fn client(&self) -> Result<&Client, GatewayError> {
        self.client.as_ref().ok_or(GatewayError::NotConfigured)
    }
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    fn configured(&self) -> bool {
        self.client.is_some()
    }

    async fn create_intent(&self, req: &IntentRequest) -> Result<RemoteIntent, GatewayError> {
        use stripe_core::payment_intent::CreatePaymentIntent;
        use stripe_shared::PaymentIntentAllowedPaymentMethodTypes as T;
        let methods: Vec<T> = req
            .methods
            .iter()
            .map(|m| match m {
                Method::Card => T::Card,
                Method::SepaDebit => T::SepaDebit,
                Method::Paypal => T::Paypal,
            })
            .collect();
        let mut create = CreatePaymentIntent::new(req.amount_cents, stripe_types::Currency::EUR)
            .allowed_payment_method_types(methods)
            .description(req.description.clone())
            .metadata(req.metadata.clone());
        if req.application_fee_cents > 0 {
            create = create.application_fee_amount(req.application_fee_cents);
        }
        if let Some(s) = &req.statement_suffix {
            create = create.statement_descriptor_suffix(s.clone());
        }
        let pi = create
            .customize()
            .account_id(account_id(&req.account)?)
            .request_strategy(key(&req.idempotency_key)?)
            .send(self.client()?)
            .await?;
        Ok(pi.into())
    }

    async fn retrieve_intent(&self, account: &str, intent_id: &str) -> Result<RemoteIntent, GatewayError> {
        use stripe_core::payment_intent::RetrievePaymentIntent;
        let id = stripe_shared::PaymentIntentId::from_str(intent_id)
            .map_err(|_| GatewayError::Invalid("intent id".into()))?;
        let pi =
            RetrievePaymentIntent::new(id).customize().account_id(account_id(account)?).send(self.client()?).await?;
        Ok(pi.into())
    }

    async fn cancel_intent(&self, account: &str, intent_id: &str) -> Result<RemoteIntent, GatewayError> {
        use stripe_core::payment_intent::CancelPaymentIntent;
        let id = stripe_shared::PaymentIntentId::from_str(intent_id)
            .map_err(|_| GatewayError::Invalid("intent id".into()))?;
        let pi = CancelPaymentIntent::new(id)
            .customize()
            .account_id(account_id(account)?)
            .request_strategy(key(&format!("cancel-{intent_id}"))?)
            .send(self.client()?)
            .await?;
        Ok(pi.into())
    }

    async fn refund(
        &self,
        account: &str,
        intent_id: &str,
        amount_cents: i64,
        idempotency_key: &str,
        metadata: HashMap<String, String>,
    ) -> Result<RemoteRefund, GatewayError> {
        use stripe_core::refund::CreateRefund;
        // the platform's application fee is given back in proportion, as the municipality refunds
        let r = CreateRefund::new()
            .payment_intent(intent_id)
            .amount(amount_cents)
            .refund_application_fee(true)
            .metadata(metadata)
            .customize()
            .account_id(account_id(account)?)
            .request_strategy(key(idempotency_key)?)
            .send(self.client()?)
            .await?;
        Ok(r.into())
    }

    async fn retrieve_account(&self, account: &str) -> Result<RemoteAccount, GatewayError> {
        use stripe_connect::account::RetrieveAccount;
        let a = RetrieveAccount::new(account).send(self.client()?).await?;
        Ok(a.into())
    }

    async fn onboarding_link(
        &self,
        account: &str,
        refresh_url: &str,
        return_url: &str,
    ) -> Result<String, GatewayError> {
        use stripe_connect::account_link::{CreateAccountLink, CreateAccountLinkType};
        let link = CreateAccountLink::new(account, CreateAccountLinkType::AccountOnboarding)
            .refresh_url(refresh_url)
            .return_url(return_url)
            .send(self.client()?)
            .await?;
        Ok(link.url)
    }
}
