# The policygraph server: a static binary with the playground and the bundled dataset embedded.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/policygraph .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/policygraph /policygraph
ENV LISTEN_ADDR=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/policygraph"]
CMD ["serve"]
