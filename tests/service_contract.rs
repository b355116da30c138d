//! The tower contract: the ready inner service is the one called, futures
//! are `Send`, the layer and service are cheap to clone, errors stay the
//! inner service's.
#![cfg(feature = "test-util")]

mod common;

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use tower::limit::ConcurrencyLimitLayer;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};
use tower_webhooks::test_util::GitHubDelivery;
use tower_webhooks::{KeyRing, ResponseFuture, Secret, VerifiedBody, WebhookLayer, WebhookService};

fn layer() -> WebhookLayer {
    WebhookLayer::github(KeyRing::single(Secret::new("contract").unwrap()))
}

#[tokio::test]
async fn the_service_polled_ready_is_the_one_that_is_called() {
    // A ConcurrencyLimit clone that was not polled ready panics when called;
    // the layer must hand the ready one to the future and keep a clone.
    let recorder = common::Recorder::default();
    let mut service = ServiceBuilder::new()
        .layer(layer())
        .layer(ConcurrencyLimitLayer::new(1))
        .service(recorder.service());
    for i in 0..3 {
        let request = GitHubDelivery::new("push", format!("{{\"n\":{i}}}"))
            .secret("contract")
            .into_request();
        let ready = ServiceExt::<Request<Full<Bytes>>>::ready(&mut service)
            .await
            .unwrap();
        let response = ready.call(request).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.into_body().collect().await.unwrap().to_bytes(),
            "handled"
        );
    }
    assert_eq!(recorder.count(), 3);
}

#[tokio::test]
async fn the_inner_error_type_and_response_pass_through_unchanged() {
    #[derive(Debug, PartialEq)]
    struct InnerFailed;
    let failing = tower::service_fn(|_: Request<VerifiedBody>| async {
        Err::<Response<Full<Bytes>>, _>(InnerFailed)
    });
    let request = GitHubDelivery::new("push", "{}")
        .secret("contract")
        .into_request();
    let err = layer().layer(failing).oneshot(request).await.unwrap_err();
    assert_eq!(err, InnerFailed);

    let teapot = tower::service_fn(|_: Request<VerifiedBody>| async {
        let mut response = Response::new(Full::new(Bytes::from_static(b"short and stout")));
        *response.status_mut() = http::StatusCode::IM_A_TEAPOT;
        response
            .headers_mut()
            .insert("x-inner", "yes".parse().unwrap());
        Ok::<_, Infallible>(response)
    });
    let request = GitHubDelivery::new("push", "{}")
        .secret("contract")
        .into_request();
    let response = layer().layer(teapot).oneshot(request).await.unwrap();
    assert_eq!(response.status(), 418);
    assert_eq!(response.headers()["x-inner"], "yes");
    assert!(!response.body().is_rejection());
    assert_eq!(
        response.into_body().collect().await.unwrap().to_bytes(),
        "short and stout"
    );
}

#[test]
fn futures_are_send_and_layers_are_cheap_to_clone() {
    fn send<T: Send>() {}
    fn clone_send_sync<T: Clone + Send + Sync>() {}
    type Inner =
        tower::util::BoxCloneSyncService<Request<VerifiedBody>, Response<Full<Bytes>>, Infallible>;
    send::<ResponseFuture<Inner, Full<Bytes>>>();
    send::<ResponseFuture<Inner, hyper::body::Incoming>>();
    clone_send_sync::<WebhookLayer>();
    clone_send_sync::<WebhookService<Inner>>();
    clone_send_sync::<tower_webhooks::Verifier>();
    clone_send_sync::<KeyRing>();
}
