# Canyu: one static binary, one volume.
#   docker build -t canyu .
#   docker run -p 8090:8090 -v canyu_data:/pb_data canyu
# Configure with CANYU_* environment variables (see config.example.yaml).

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /out/canyu .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/canyu /usr/local/bin/canyu
# the data directory belongs to the non-root user (uid 65532)
COPY --from=build --chown=65532:65532 /tmp /pb_data
VOLUME /pb_data
EXPOSE 8090
USER nonroot:nonroot
ENV CANYU_APP_DATA_DIR=/pb_data
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/canyu", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/canyu"]
CMD ["serve", "--http=0.0.0.0:8090"]
