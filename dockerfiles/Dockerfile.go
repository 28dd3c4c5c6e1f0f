# One Dockerfile for every Go release: the GO_VERSION matrix in variants.yml sets the argument, and
# the FROM line names that release's toolchain image. The build is part two's first step (the
# same working directory, the same flags), so the 1.21 row can be checked against it.
ARG GO_VERSION=1.21
# the Debian suite of the toolchain image: bullseye, but bookworm for Debian's Go 1.19 and
# trixie for the newest release (today's toolchain image)
ARG SUITE=bullseye
FROM golang:${GO_VERSION}-${SUITE} AS build

WORKDIR $GOPATH/src/smallest-golang/app/

COPY . .

RUN CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o /main .

FROM scratch

COPY --from=build /main /main

USER 65532:65532

CMD ["/main"]
