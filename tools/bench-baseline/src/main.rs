//! `bench-baseline`: the fixed-TwiML `lambda_http` function (see the library).

use lambda_http::{Error, Request, run, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    run(service_fn(|request: Request| async move {
        Ok::<_, Error>(bench_baseline::handle(request))
    }))
    .await
}
